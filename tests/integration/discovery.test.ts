import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildClientAdapters } from '../../activities/adapters/build-adapters';
import { createMailer } from '../../activities/adapters/mail/nodemailer-mailer';
import { SimulatedRmm, type SimulatedAsset } from '../../activities/adapters/rmm/simulated';
import type { ActivityDeps } from '../../activities/deps';
import { discoverClientInventory, openDiscoveryTicket } from '../../activities/discovery/discovery-activities';
import { upsertClients } from '../../activities/store/client-store';
import { discoveryRunEvents, unclassifiedDevices } from '../../activities/store/discovery-store';
import { importAssets } from '../../activities/store/inventory-store';
import { clientSoftware, unsupportedSoftware } from '../../activities/store/software-store';
import type { PatchPolicy } from '../../config/policy-schema';
import { loadTestPolicy } from '../support/cycle-harness';
import { createTestDatabase, type TestDatabase } from '../support/database';

// Discovery against real PostgreSQL: the simulated RMM with a fixed fleet, a subnet-scan CSV and the
// MSP's software list, reconciled into events, unclassified devices, a PSA ticket and the software view.

const CLIENT = 'clinic';
const DAY = 86_400_000;
let db: TestDatabase;
let policy: PatchPolicy;
let dir: string;
let fleet: SimulatedAsset[];

const asset = (hostname: string, os: 'windows' | 'linux', role: 'server' | 'workstation', applications: string[] = []) => ({
  hostname,
  os,
  role,
  assetClass: role === 'server' ? ('core-server' as const) : ('workstation' as const),
  owner: 'IT',
  location: 'Main St',
  ephi: role === 'server',
  tags: [],
  applications,
});

function deps(): ActivityDeps {
  const adapters = buildClientAdapters({ db: db.pool, policy, env: {} });
  return {
    db: db.pool,
    policy,
    adaptersFor: (clientId) => ({ ...adapters(clientId), rmm: new SimulatedRmm({ db: db.pool, clientId, simulation: policy.clients[0]!.simulation, inventory: fleet }) }),
    mailer: createMailer({ from: policy.msp.mailFrom, outboxDir: join(dir, 'outbox') }),
  };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'patchctl-discovery-'));
  db = await createTestDatabase();
  policy = loadTestPolicy();
  policy.clients = policy.clients.filter((c) => c.id === CLIENT);
  writeFileSync(join(dir, 'scan.csv'), 'hostname,ip,os\nfs01,10.0.0.5,windows\nprinter-2f,10.0.0.77,\nCAM-LOBBY,10.0.0.90,linux\n');
  writeFileSync(
    join(dir, 'software.yaml'),
    ['software:', '  - { name: "Google Chrome", status: supported }', '  - { name: "Java 8*", status: unsupported, remediation: manual-with-proof }', '  - { name: "Dentrix*", status: unsupported, remediation: "other-tool: Dentrix Updater" }', ''].join('\n'),
  );
  policy.msp.softwareList = { file: join(dir, 'software.yaml'), reviewers: ['lead@msp.test'] };
  policy.clients[0]!.discovery = { every: 'daily', at: '02:00', day: 'sun', silentAfter: 7 * DAY, unmanagedSources: [join(dir, 'scan.csv')] };
  await upsertClients(db.pool, policy.clients);
  await importAssets(db.pool, CLIENT, [asset('fs01', 'windows', 'server', ['Google Chrome']), asset('ws01', 'windows', 'workstation'), asset('ws02', 'windows', 'workstation')]);
  fleet = [
    { hostname: 'fs01', os: 'windows', role: 'server', applications: ['Google Chrome', 'Java 8 Update 401', 'Dentrix G7'] },
    // ws01 was reimaged with Linux; ws02 is not listed by the RMM at all; kiosk-7 is new.
    { hostname: 'ws01', os: 'linux', role: 'workstation', applications: ['7-Zip'] },
    { hostname: 'KIOSK-7', os: 'windows', role: 'kiosk', applications: ['Google Chrome'] },
  ];
});

afterAll(async () => {
  await db?.drop();
});

describe('discovery reconcile', () => {
  it('records new, unmanaged and changed devices once, opens one ticket, and lists the unclassified', async () => {
    const now = new Date('2026-11-20T02:00:00Z');
    const first = await discoverClientInventory(deps(), { clientId: CLIENT, runKey: 'discovery-clinic-run-1', at: now.toISOString() });
    expect(first.counts).toMatchObject({ devices: 5, rmmDevices: 3, otherSourceDevices: 2, new: 1, unmanaged: 2, 'os-changed': 1, silent: 0 });
    expect(first.needsTicket).toBe(true);
    const { events } = await discoveryRunEvents(db.pool, 'discovery-clinic-run-1');
    expect(events.map((e) => [e.kind, e.hostname, e.before, e.after])).toEqual([
      ['new', 'kiosk-7', null, 'windows kiosk'],
      ['os-changed', 'ws01', 'windows', 'linux'],
      ['unmanaged', 'cam-lobby', null, 'csv:scan.csv'],
      ['unmanaged', 'printer-2f', null, 'csv:scan.csv'],
    ]);

    // A retried activity (same run key) changes nothing and returns the first figures.
    const again = await discoverClientInventory(deps(), { clientId: CLIENT, runKey: 'discovery-clinic-run-1', at: now.toISOString() });
    expect(again).toMatchObject({ replayed: true, counts: first.counts });

    const ticket = await openDiscoveryTicket(deps(), { clientId: CLIENT, runKey: 'discovery-clinic-run-1' });
    expect(ticket.ticketId).toBeTruthy();
    expect(await openDiscoveryTicket(deps(), { clientId: CLIENT, runKey: 'discovery-clinic-run-1' })).toEqual(ticket);
    const { rows: tickets } = await db.pool.query('SELECT summary, details FROM sim_psa_tickets');
    expect(tickets).toHaveLength(1);
    expect(tickets[0].summary).toBe('clinic: discovery found 1 new and 2 unmanaged devices to classify');
    expect(tickets[0].details).toContain('kiosk-7');

    const unclassified = await unclassifiedDevices(db.pool, CLIENT, now);
    expect(unclassified.map((d) => [d.hostname, d.rmmManaged])).toEqual([['cam-lobby', false], ['kiosk-7', true], ['printer-2f', false]]);
    expect(unclassified[0]?.missing).toEqual(['asset class', 'ePHI answer']);
    // As of the day before the run, discovery had seen none of them.
    expect(await unclassifiedDevices(db.pool, CLIENT, new Date(now.getTime() - DAY))).toEqual([]);
  });

  it('records a device gone silent after silentAfter, and its return, each once', async () => {
    const later = new Date('2026-11-28T02:00:00Z');
    const second = await discoverClientInventory(deps(), { clientId: CLIENT, runKey: 'discovery-clinic-run-2', at: later.toISOString() });
    // The scan still lists its devices, and ws02 (never listed by the RMM) was imported within silentAfter: nothing is silent yet.
    const silent = (await discoveryRunEvents(db.pool, 'discovery-clinic-run-2', ['silent'])).events.map((e) => e.hostname);
    expect(silent).toEqual([]);
    expect(second.counts.unmanaged).toBe(0);

    fleet = fleet.filter((f) => f.hostname !== 'KIOSK-7');
    const third = await discoverClientInventory(deps(), { clientId: CLIENT, runKey: 'discovery-clinic-run-3', at: new Date('2026-12-06T02:00:00Z').toISOString() });
    expect((await discoveryRunEvents(db.pool, 'discovery-clinic-run-3', ['silent'])).events.map((e) => e.hostname)).toEqual(['kiosk-7']);
    expect(third.counts.silent).toBe(1);

    fleet.push({ hostname: 'kiosk-7', os: 'windows', role: 'kiosk', applications: [] });
    await discoverClientInventory(deps(), { clientId: CLIENT, runKey: 'discovery-clinic-run-4', at: new Date('2026-12-07T02:00:00Z').toISOString() });
    expect((await discoveryRunEvents(db.pool, 'discovery-clinic-run-4')).events.map((e) => [e.kind, e.hostname])).toEqual([['returned', 'kiosk-7']]);
  });

  it('classifies the application inventory against the MSP list, as of a past moment too', async () => {
    const asOf = new Date('2026-11-21T00:00:00Z');
    const software = await clientSoftware(db.pool, CLIENT, asOf);
    expect(software.map((s) => [s.name, s.status, s.remediation ?? null, s.hosts.join(' ')])).toEqual([
      ['7-Zip', 'unknown', null, 'ws01'],
      ['Dentrix G7', 'unsupported', 'other-tool: Dentrix Updater', 'fs01'],
      ['Google Chrome', 'supported', null, 'fs01 kiosk-7'],
      ['Java 8 Update 401', 'unsupported', 'manual-with-proof', 'fs01'],
    ]);
    expect((await unsupportedSoftware(db.pool, CLIENT, asOf)).map((s) => s.name)).toEqual(['Dentrix G7', 'Java 8 Update 401']);
    // kiosk-7 came back on 2026-12-07 with nothing installed: Chrome is gone from it since then, not before.
    expect((await clientSoftware(db.pool, CLIENT, new Date('2026-12-08T00:00:00Z'))).find((s) => s.name === 'Google Chrome')?.hosts).toEqual(['fs01']);
  });

  it('refuses a malformed scan file naming the file, line and field', async () => {
    writeFileSync(join(dir, 'bad.csv'), 'hostname,ip\nok-host,10.0.0.1\nbad host!,10.0.0.2\nfine,999.1.1.1\n');
    policy.clients[0]!.discovery!.unmanagedSources = [join(dir, 'bad.csv')];
    try {
      await expect(discoverClientInventory(deps(), { clientId: CLIENT, runKey: 'discovery-clinic-bad', at: new Date().toISOString() })).rejects.toMatchObject({
        type: 'InvalidInput',
        message: expect.stringMatching(/bad\.csv: line 3: hostname: must be a hostname .*"bad host!".*line 4: ip: must be an IPv4 or IPv6 address, got "999\.1\.1\.1"/),
      });
    } finally {
      policy.clients[0]!.discovery!.unmanagedSources = [join(dir, 'scan.csv')];
    }
  });
});
