import { join } from 'node:path';
import { Command } from 'commander';
import { z } from 'zod';
import { generateFleet } from '../../activities/simulation/fleet-generator';
import { upsertClients } from '../../activities/store/client-store';
import { importAssets } from '../../activities/store/inventory-store';
import { createPool } from '../../activities/store/pool';
import { loadPolicyFile } from '../../config/load-policy';
import { repoRoot } from '../../config/repo-root';
import type { RingProgress } from '../../domain/cycle-status';
import type { PatchCycleResult } from '../../workflows/patch-cycle';
import { driveCycle } from '../demo/drive-cycle';
import { readLiveDevInfo } from '../dev-stack/dev-info';
import type { DevStack } from '../dev-stack/start-dev-stack';
import { badInput, failed } from '../errors';
import { parseOptions } from '../options';
import { info, printJson, printTable } from '../output';
import { withClient } from '../temporal-connection';

const options = z.object({
  endpoints: z.coerce.number().int().min(30, 'must be at least 30 (10 per client)').max(100_000).default(300),
  json: z.boolean().optional(),
});

const DEMO_TASK_QUEUE = 'patchctl-demo';
const ENGINEER = 'engineer@msp.demo';

function ringRow(r: RingProgress) {
  const seconds = r.startedAt && r.endedAt ? Math.round((Date.parse(r.endedAt) - Date.parse(r.startedAt)) / 1000) : undefined;
  return { ring: r.ring, state: r.state, assets: r.planned, deployed: r.deployed, verified: r.verified, failed: r.failed, durationSeconds: seconds ?? null };
}

export function demoCommand(): Command {
  return new Command('demo')
    .description('unattended tour: seeds 3 clinics, runs one cycle through every ring with approvals and one whose canary breaches and rolls back')
    .option('--endpoints <n>', 'assets to seed across the three clients', '300')
    .option('--json', 'print {"cycles":[{"id","client","status","rings":[…]}]} as one JSON document')
    .action(async (raw: Record<string, unknown>) => {
      const opts = parseOptions(options, raw);
      const policyFile = join(repoRoot(), 'patchctl.demo.yaml');
      const loaded = loadPolicyFile(policyFile);
      if (!loaded.ok) throw badInput(`demo policy ${policyFile} is invalid`, 'restore it from git', loaded.problems);
      const policy = loaded.policy;
      const log = (text: string) => info(text);

      // Reuse the `patchctl dev` of this directory when there is one; otherwise bring up our own.
      const cwd = process.cwd();
      const env = { PATCHCTL_LOG_LEVEL: 'WARN', ...process.env, PATCHCTL_CONFIG: policyFile, TEMPORAL_TASK_QUEUE: DEMO_TASK_QUEUE };
      const running = readLiveDevInfo(cwd, process.env);
      let stack: DevStack | undefined;
      let extraWorker: { shutdown(): Promise<void> } | undefined;
      let target: { address: string; namespace: string; uiUrl: string; databaseUrl: string };
      if (running) {
        log(`demo: using the patchctl dev stack of this directory (pid ${running.pid})`);
        target = { address: running.temporalAddress, namespace: running.namespace, uiUrl: running.uiUrl, databaseUrl: running.databaseUrl };
      } else {
        // Loaded on use: `patchctl --help` should not pay for the native Temporal core and PGlite.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { startDevStack } = require('../dev-stack/start-dev-stack') as typeof import('../dev-stack/start-dev-stack');
        stack = await startDevStack({ cwd, json: opts.json, env, log });
        target = { address: stack.info.temporalAddress, namespace: stack.info.namespace, uiUrl: stack.info.uiUrl, databaseUrl: stack.info.databaseUrl };
      }

      try {
        const db = createPool(target.databaseUrl, 2);
        try {
          await upsertClients(db, policy.clients);
          const perClient = Math.floor(opts.endpoints / policy.clients.length);
          for (const client of policy.clients) {
            const assets = generateFleet(client.id, perClient, client.simulation.seed).map(({ clientId: _c, ...asset }) => asset);
            await importAssets(db, client.id, assets);
          }
          log(`demo: seeded ${perClient * policy.clients.length} assets across ${policy.clients.map((c) => c.id).join(', ')}`);
        } finally {
          await db.end();
        }
        if (running) {
          // The dev stack's worker runs the directory's policy; the demo's clients need a worker of their own.
          // eslint-disable-next-line @typescript-eslint/no-require-imports
          const { startWorker } = require('../../workers/start-worker') as typeof import('../../workers/start-worker');
          extraWorker = await startWorker({
            temporalAddress: target.address,
            namespace: target.namespace,
            taskQueue: DEMO_TASK_QUEUE,
            databaseUrl: target.databaseUrl,
            policy,
            outboxDir: running.outboxDir,
            poolMax: 2,
          });
        }

        const stamp = new Date().toISOString().replace(/[-:]/g, '').slice(0, 13).toLowerCase();
        const specs = [
          { clientId: 'riverside-dental', cycleName: `demo-${stamp}-promote`, requestedBy: ENGINEER, onGateBreach: 'rollback' as const },
          { clientId: 'harbor-pediatrics', cycleName: `demo-${stamp}-bad-canary`, requestedBy: ENGINEER, onGateBreach: 'rollback' as const },
        ];
        const lastPhase = new Map<string, string>();
        const results: PatchCycleResult[] = await withClient(target, (client) =>
          Promise.all(
            specs.map((spec) =>
              driveCycle(client, DEMO_TASK_QUEUE, policy, spec, (status) => {
                const summary = `${status.phase}${status.pending ? ` (${status.pending.kind} ${status.pending.ring})` : ''}`;
                if (lastPhase.get(spec.clientId) !== summary) {
                  lastPhase.set(spec.clientId, summary);
                  log(`demo: ${spec.clientId}: ${summary}`);
                }
              }),
            ),
          ),
        );

        const cycles = results.map((r) => ({
          id: r.cycleId.replace(/^cycle\//, ''),
          workflowId: r.cycleId,
          client: r.cycleId.split('/')[1] ?? '',
          status: r.status,
          reason: r.reason,
          rings: r.rings.map(ringRow),
          ui: `${target.uiUrl}/namespaces/${target.namespace}/workflows/${encodeURIComponent(r.cycleId)}`,
        }));
        const asExpected = cycles[0]?.status === 'completed' && cycles[1]?.status === 'rolled-back';
        if (opts.json) printJson({ cycles, temporalUi: target.uiUrl, asExpected });
        else {
          for (const c of cycles) {
            info(`\n${c.id}: ${c.status} — ${c.reason}`);
            printTable(
              ['ring', 'state', 'assets', 'deployed', 'verified', 'failed', 'duration'],
              c.rings.map((r) => [r.ring, r.state, r.assets, r.deployed, r.verified, r.failed, r.durationSeconds === null ? '' : `${r.durationSeconds} s`]),
            );
            info(`Temporal UI: ${c.ui}`);
          }
        }
        if (!asExpected) throw failed('the demo cycles did not end as expected (first completed, second rolled back)', 'see `patchctl cycle status` for each');
      } finally {
        await extraWorker?.shutdown();
        await stack?.stop();
      }
    });
}
