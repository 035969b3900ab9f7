import { describe, expect, it } from 'vitest';
import { rankClientRisks, type ClientRiskFacts } from '../../domain/reporting/risk';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parsePolicyText } from '../../config/load-policy';
import { repoRoot } from '../../config/repo-root';

const facts = (clientId: string, over: Partial<ClientRiskFacts> = {}): ClientRiskFacts => ({
  clientId,
  regulated: false,
  uptime: 'standard',
  assets: 100,
  ephiAssets: 0,
  overdueCriticalAssets: 0,
  ...over,
});

describe('report risk ranking (playbook 30-day roadmap: regulated, uptime, ePHI exposure; plus overdue critical patches)', () => {
  it('ranks in the playbook order and flags the top 20 %, rounded up', () => {
    const ranked = rankClientRisks([
      facts('dental-a', { ephiAssets: 100, overdueCriticalAssets: 100 }), // 20 + 10 = 30
      facts('clinic-b', { regulated: true }), // 40
      facts('plant-c', { uptime: 'high' }), // 30, tie with dental-a: by id
      facts('shop-d', { ephiAssets: 50 }), // 10
      facts('shop-e'), // 0
      facts('shop-f', { overdueCriticalAssets: 25 }), // 2.5
    ]);
    expect(ranked.map((r) => [r.clientId, r.score, r.rank, r.flagged])).toEqual([
      ['clinic-b', 40, 1, true],
      ['dental-a', 30, 2, true],
      ['plant-c', 30, 3, false],
      ['shop-d', 10, 4, false],
      ['shop-f', 2.5, 5, false],
      ['shop-e', 0, 6, false],
    ]);
    expect(ranked[1]).toMatchObject({ ephiShare: 1, overdueCriticalShare: 1, points: { regulated: 0, uptime: 0, ephiExposure: 20, overdueCritical: 10 } });
  });

  it('flags one client of a few, none of none; an empty fleet scores on its policy facts only', () => {
    expect(rankClientRisks([])).toEqual([]);
    const [only] = rankClientRisks([facts('new-client', { assets: 0, regulated: undefined, uptime: undefined })]);
    expect(only).toMatchObject({ score: 0, flagged: true, ephiShare: 0 });
  });
});

describe('policy facts for risk and the scorecard', () => {
  const withClient = (fields: Record<string, unknown>) => {
    const raw = parseYaml(readFileSync(join(repoRoot(), 'patchctl.example.yaml'), 'utf8')) as { clients: Record<string, unknown>[] };
    raw.clients[0] = { ...raw.clients[0], ...fields };
    return parsePolicyText(JSON.stringify(raw));
  };

  it('accepts regulated, uptime and agreedFailureThreshold per client, and names a bad value', () => {
    const ok = withClient({ regulated: true, uptime: 'high', agreedFailureThreshold: 0.03 });
    expect(ok.ok && ok.policy.clients[0]).toMatchObject({ regulated: true, uptime: 'high', agreedFailureThreshold: 0.03 });
    const bad = withClient({ uptime: 'always', agreedFailureThreshold: 0.9 });
    const lines = bad.ok ? [] : bad.problems.map((p) => `${p.path}: ${p.message}`);
    expect(lines.find((l) => l.startsWith('clients[0].uptime:'))).toMatch(/standard.*high.*got "always"/);
    expect(lines.find((l) => l.startsWith('clients[0].agreedFailureThreshold:'))).toMatch(/between 0 and 0.5.*got 0.9/);
  });
});
