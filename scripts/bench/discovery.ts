import { upsertClients } from '../../activities/store/client-store';
import { reconcileDiscovery, type SeenDevice, type SeenSoftware } from '../../activities/store/discovery-store';
import { importAssets } from '../../activities/store/inventory-store';
import { migrateUp } from '../../activities/store/migrate';
import { createPool } from '../../activities/store/pool';
import { generateFleet } from '../../activities/simulation/fleet-generator';
import { onServer, SERVER_URL } from './server';

// Bench row: discovery reconcile of one client's 10,000 devices (the RMM's list with 5 applications
// each, plus 200 devices only a subnet scan sees) on real PostgreSQL; target ≤ 5 s. Measured on the
// steady-state run: a baseline run first, then one where 5 % changed OS, 5 % went missing, 5 % had
// an application replaced and 1 % are new, so every comparison has work to do. Size: PATCHCTL_BENCH_DISCOVERY_DEVICES.

const DEVICES = Number(process.env.PATCHCTL_BENCH_DISCOVERY_DEVICES ?? 10_000);
const TARGET_SECONDS = 5;
const DAY = 86_400_000;
const APPS = ['Google Chrome', 'Microsoft Edge', '7-Zip', 'Adobe Acrobat Reader', 'Zoom', 'Java 8 Update 401', 'Dentrix G7', 'VLC media player'];

export interface DiscoveryBenchRow {
  devices: number;
  software: number;
  baselineSeconds: number;
  seconds: number;
  events: number;
  targetSeconds: number;
  withinTarget: boolean;
}

function rmmList(count: number, generation: number): { seen: SeenDevice[]; software: SeenSoftware[] } {
  const fleet = generateFleet('bench-discovery', count, 3);
  const seen: SeenDevice[] = [];
  const software: SeenSoftware[] = [];
  fleet.forEach((asset, i) => {
    if (generation > 0 && i % 20 === 1) return; // went missing
    const os = generation > 0 && i % 20 === 2 ? (asset.os === 'windows' ? 'linux' : 'windows') : asset.os;
    seen.push({ hostname: asset.hostname, os, role: asset.role, source: 'rmm', rmm: true });
    // 5 % of the hosts had one application replaced since the baseline.
    const shift = generation > 0 && i % 20 === 3 ? 1 : 0;
    for (let k = 0; k < 5; k++) software.push({ hostname: asset.hostname, name: APPS[(i + k + shift) % APPS.length]! });
  });
  if (generation > 0) for (let i = 0; i < count / 100; i++) seen.push({ hostname: `new-${i}.bench.local`, os: 'windows', role: 'workstation', source: 'rmm', rmm: true });
  for (let i = 0; i < 200; i++) seen.push({ hostname: `scan-${i}.bench.local`, os: null, role: null, source: 'csv:scan.csv', rmm: false });
  return { seen, software };
}

export async function benchDiscovery(): Promise<DiscoveryBenchRow> {
  const database = `patchctl_bench_discovery_${Date.now().toString(36)}`;
  await onServer(`CREATE DATABASE ${database}`);
  const url = new URL(SERVER_URL);
  url.pathname = `/${database}`;
  const pool = createPool(url.toString(), 2);
  try {
    await migrateUp(url.toString());
    await upsertClients(pool, [{ id: 'bench-discovery', name: 'Bench', timezone: 'UTC', owner: 'owner@bench.test' }]);
    // 90 % of the fleet is classified in the inventory; the rest is what discovery finds.
    await importAssets(pool, 'bench-discovery', generateFleet('bench-discovery', Math.round(DEVICES * 0.9), 3).map(({ clientId: _c, ...a }) => a));
    const run = async (generation: number, at: Date) => {
      const { seen, software } = rmmList(DEVICES, generation);
      const started = performance.now();
      const result = await reconcileDiscovery(pool, {
        clientId: 'bench-discovery',
        runKey: `bench-${generation}`,
        at,
        silentAfterMs: 7 * DAY,
        seen,
        software,
        softwareHosts: [...new Set(software.map((s) => s.hostname))],
      });
      return { seconds: (performance.now() - started) / 1000, result, software: software.length };
    };
    const baseline = await run(0, new Date(Date.now() + DAY));
    const steady = await run(1, new Date(Date.now() + 10 * DAY));
    const c = steady.result.counts;
    return {
      devices: c.devices,
      software: steady.software,
      baselineSeconds: baseline.seconds,
      seconds: steady.seconds,
      events: c.new + c.unmanaged + c.silent + c.returned + c['os-changed'] + c['role-changed'],
      targetSeconds: TARGET_SECONDS,
      withinTarget: steady.seconds <= TARGET_SECONDS,
    };
  } finally {
    await pool.end();
    await onServer(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => undefined);
  }
}

if (require.main === module) {
  benchDiscovery()
    .then((row) => console.log(process.argv.includes('--json') ? JSON.stringify(row) : discoveryBenchLine(row)))
    .catch((error) => {
      console.error(error);
      process.exit(1);
    });
}

export function discoveryBenchLine(row: DiscoveryBenchRow): string {
  return `discovery reconcile of ${DEVICES.toLocaleString('en-US')} devices (${row.devices.toLocaleString('en-US')} seen, ${row.software.toLocaleString('en-US')} software rows, ${row.events} events): ${row.seconds.toFixed(2)} s (baseline run ${row.baselineSeconds.toFixed(2)} s), target ≤ ${row.targetSeconds} s${row.withinTarget ? '' : ' (MISSED)'}`;
}
