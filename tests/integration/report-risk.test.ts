import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRiskRanking, riskRankingCsv } from '../../activities/reporting/risk-data';
import { loadTestPolicy } from '../support/cycle-harness';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { seedReportFixture } from '../support/report-fixture';

// `report risk` on the hand-computed clinic fleet (tests/support/report-fixture.ts) as of Dec 2, next
// to an empty but regulated, high-uptime client.

let db: TestDatabase;
const policy = loadTestPolicy();
const DECEMBER = new Date('2026-12-02T09:00:00Z');

beforeAll(async () => {
  db = await createTestDatabase();
  await seedReportFixture(db.pool, policy);
});
afterAll(async () => {
  await db?.drop();
});

describe('report risk', () => {
  it('ranks by the policy facts, ePHI exposure and overdue critical patches, and flags the top 20 %', async () => {
    const night = policy.clients.find((c) => c.id === 'night-clinic');
    if (!night) throw new Error('fixture policy lacks night-clinic');
    night.regulated = true;
    night.uptime = 'high';
    const ranking = await buildRiskRanking({ db: db.pool, policy, now: DECEMBER });
    expect(ranking.flagged).toEqual(['night-clinic']);
    expect(ranking.clients[0]).toMatchObject({ clientId: 'night-clinic', rank: 1, score: 70, assets: 0, flagged: true });
    // 7 assets (later-1 counts now); ePHI: ws-1, srv-1, dnd-1; critical overdue: ws-2 (failed in
    // November), ws-3 (deployed, never verified), ws-4 (detected Nov 5, 24 h window); dnd-1 is excepted.
    expect(ranking.clients[1]).toMatchObject({
      clientId: 'clinic',
      rank: 2,
      regulated: undefined,
      assets: 7,
      ephiAssets: 3,
      overdueCriticalAssets: 3,
      points: { regulated: 0, uptime: 0, ephiExposure: 8.6, overdueCritical: 4.3 },
      score: 12.9,
      flagged: false,
    });
    const csv = riskRankingCsv(ranking).split('\r\n');
    expect(csv[0]).toBe('rank,client,score,flagged_top_20_percent,regulated,uptime,assets,ephi_assets,ephi_share,overdue_critical_assets,overdue_critical_share,as_of');
    expect(csv[1]).toBe('1,night-clinic,70,yes,yes,high,0,0,0,0,0,2026-12-02T09:00:00.000Z');
    expect(csv[2]).toBe('2,clinic,12.9,no,not set,not set,7,3,0.4286,3,0.4286,2026-12-02T09:00:00.000Z');
  });
});
