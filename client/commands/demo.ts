import { join } from 'node:path';
import { Command } from 'commander';
import { z } from 'zod';
import { randomBytes } from 'node:crypto';
import { SimulatedRmm, startNewSimulatedMonth } from '../../activities/adapters/rmm/simulated';
import { generateFleet } from '../../activities/simulation/fleet-generator';
import { upsertClients } from '../../activities/store/client-store';
import { getExceptionsByIds, listExceptions } from '../../activities/store/exception-store';
import { importAssets } from '../../activities/store/inventory-store';
import { createPool } from '../../activities/store/pool';
import { loadPolicy } from '../../config/load-policy';
import { repoRoot } from '../../config/repo-root';
import type { RingProgress } from '../../domain/cycle/cycle-status';
import type { PatchCycleResult } from '../../domain/cycle/cycle-status';
import { driveCycle } from '../demo/drive-cycle';
import { driveException } from '../demo/drive-exception';
import { demoMonthlyReport, demoReportLines } from '../demo/report-step';
import { runTriageStep } from '../demo/triage-step';
import type { ExceptionRequest } from '../../domain/exception/exception';
import { exceptionWorkflowId } from '../../domain/ids';
import { exceptionIdFor, exceptionIdSecret } from '../ids';
import { readLiveDevInfo } from '../dev-stack/dev-info';
import type { DevStack } from '../dev-stack/start-dev-stack';
import { failed } from '../errors';
import { parseOptions } from '../options';
import { info, printJson, printTable } from '../cli/output';
import { withClient } from '../connection/temporal-connection';
import { exceptionStatusQuery } from '../../workflows/exception/messages';
import { exceptionDecisionUpdate } from '../use-cases/decide';
import { ensureDemoKeys } from '../demo/demo-keys';

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

/** The register is written by each exception's workflow after the update returns; plan only once it shows the end. */
async function untilEnded(databaseUrl: string, ids: readonly string[]): Promise<void> {
  const db = createPool(databaseUrl, 1);
  try {
    for (let i = 0; i < 150; i++) {
      const stillActive = (await getExceptionsByIds(db, ids)).filter((e) => e.status === 'active' || e.status === 'renewal-pending');
      if (stillActive.length === 0) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw failed('the earlier demo exceptions were revoked but the register still lists them as active', 'see `patchctl exception list --client riverside-dental`');
  } finally {
    await db.end();
  }
}

export function demoCommand(): Command {
  return new Command('demo')
    .description('unattended tour: seeds 3 clinics, runs one cycle through every ring with approvals and one whose canary breaches and rolls back')
    .option('--endpoints <n>', 'assets to seed across the three clients', '300')
    .option('--json', 'print {"cycles":[{"id","client","status","rings":[…]}]} as one JSON document')
    .action(async (raw: Record<string, unknown>) => {
      const opts = parseOptions(options, raw);
      const policyFile = join(repoRoot(), 'patchctl.demo.yaml');
      // Keys first: the policy requires signed decisions and reads its people's public keys from them.
      const keys = ensureDemoKeys(policyFile, [ENGINEER]);
      const loaded = loadPolicy({ file: policyFile });
      const policy = loaded.policy;
      const log = (text: string) => info(text);
      log(`demo: signed decisions on: ${keys.people.length} people sign with their own Ed25519 keys in ${keys.dir}${keys.created.length > 0 ? ` (created ${keys.created.length})` : ''}`);

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

      const exceptionHosts = { deferral: '', lane: '' };
      // A run's own names: another run in this directory (today, or with its cycles still on the
      // dev stack) never collides with it, and each run tells the whole story again.
      const runId = `${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15).toLowerCase().replace('t', '-')}-${randomBytes(2).toString('hex')}`;
      let earlierExceptions: { clientId: string; id: string }[] = [];
      try {
        const db = createPool(target.databaseUrl, 1);
        try {
          await upsertClients(db, policy.clients);
          await startNewSimulatedMonth(db, policy.clients.map((c) => c.id));
          earlierExceptions = (await listExceptions(db, { clientId: 'riverside-dental', active: true }))
            .filter((e) => e.requestedBy === ENGINEER)
            .map((e) => ({ clientId: e.clientId, id: e.id }));
          const perClient = Math.floor(opts.endpoints / policy.clients.length);
          for (const client of policy.clients) {
            const assets = generateFleet(client.id, perClient, client.simulation.seed).map(({ clientId: _c, ...asset }) => asset);
            await importAssets(db, client.id, assets);
          }
          // Exceptions only matter on assets that miss something: ask the (simulated) RMM which do.
          const riverside = policy.clients.find((c) => c.id === 'riverside-dental');
          if (riverside) {
            const fleet = generateFleet(riverside.id, perClient, riverside.simulation.seed);
            const missing = new Set(
              (await new SimulatedRmm({ db, clientId: riverside.id, simulation: riverside.simulation }).listMissingPatches(riverside.id, fleet.map((a) => a.hostname))).map((m) => m.hostname),
            );
            const needy = fleet.filter((a) => missing.has(a.hostname));
            exceptionHosts.deferral = needy.find((a) => a.assetClass === 'workstation')?.hostname ?? '';
            exceptionHosts.lane = needy.find((a) => a.assetClass === 'do-not-disrupt')?.hostname ?? needy[needy.length - 1]?.hostname ?? '';
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
            unsignedDecisions: 'dev-stack',
            temporalAddress: target.address,
            namespace: target.namespace,
            taskQueue: DEMO_TASK_QUEUE,
            databaseUrl: target.databaseUrl,
            policy,
            outboxDir: running.outboxDir,
            poolMax: 1,
          });
        }

        // Before the healthy cycle plans: one deferral and one isolated-lane asset it must leave out.
        const riverside = policy.clients.find((c) => c.id === 'riverside-dental');
        const deferredHost = exceptionHosts.deferral;
        const laneHost = exceptionHosts.lane;
        const now = new Date();
        const exceptionRequests: ExceptionRequest[] = [
          {
            exceptionId: exceptionIdFor('riverside-dental', now, [deferredHost, runId], [], exceptionIdSecret()),
            clientId: 'riverside-dental',
            kind: 'deferral',
            hostnames: [deferredHost],
            patchIds: [],
            reason: 'practice-management software not yet certified for this month’s updates',
            requestedBy: ENGINEER,
            expiresAt: new Date(now.getTime() + 30 * 86_400_000).toISOString(),
            controls: [{ category: 'extra-monitoring', description: 'EDR in block mode, daily review' }],
          },
          {
            exceptionId: exceptionIdFor('riverside-dental', now, [laneHost, runId], ['lane'], exceptionIdSecret()),
            clientId: 'riverside-dental',
            kind: 'isolated-lane',
            hostnames: [laneHost],
            patchIds: [],
            reason: 'imaging workstation runs a vendor-locked OS build',
            requestedBy: ENGINEER,
            reviewAt: new Date(now.getTime() + 90 * 86_400_000).toISOString(),
            controls: [
              { category: 'segmentation', description: 'VLAN 40, no internet egress' },
              { category: 'restricted-access', description: 'local logon for imaging staff only' },
            ],
            clientApprovalRef: 'signed letter RD-2026-11',
          },
        ];
        // An earlier run's exceptions would cover the same assets: this run's story starts by ending them.
        if (earlierExceptions.length > 0) {
          await withClient(target, (client) =>
            Promise.all(
              earlierExceptions.map(async (e) => {
                const handle = client.workflow.getHandle(exceptionWorkflowId(e.clientId, e.id));
                const status = await handle.query(exceptionStatusQuery);
                const { update, input } = exceptionDecisionUpdate({ ...status, workflowId: handle.workflowId }, { kind: 'exception-revoke', by: ENGINEER, reason: `demo run ${runId} starts over` }, keys.signerOf(ENGINEER));
                await handle.executeUpdate(update as never, { args: [input as never] });
                log(`demo: revoked ${e.clientId}/${e.id} of an earlier demo run`);
              }),
            ),
          );
          await untilEnded(target.databaseUrl, earlierExceptions.map((e) => e.id));
        }
        const exceptions = await withClient(target, (client) =>
          Promise.all(
            exceptionRequests.map((request) =>
              driveException(client, DEMO_TASK_QUEUE, request, { owner: riverside?.owner ?? '', approver: policy.exceptions.approvers[0] ?? '' }, keys.signerOf),
            ),
          ),
        );
        for (const e of exceptions) log(`demo: exception ${e.clientId}/${e.exceptionId} (${e.kind}) for ${e.hostnames.join(', ')}: ${e.status}, ticket ${e.ticketId ?? '-'}`);
        await withClient(target, (client) => runTriageStep({ client, taskQueue: DEMO_TASK_QUEUE, databaseUrl: target.databaseUrl, clientId: 'summit-imaging', runId, log }));
        const specs = [
          { clientId: 'riverside-dental', cycleName: `demo-${runId}-promote`, requestedBy: ENGINEER, onGateBreach: 'rollback' as const },
          { clientId: 'harbor-pediatrics', cycleName: `demo-${runId}-bad-canary`, requestedBy: ENGINEER, onGateBreach: 'rollback' as const },
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
              }, keys.signerOf),
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
          excluded: r.excluded,
          ui: `${target.uiUrl}/namespaces/${target.namespace}/workflows/${encodeURIComponent(r.cycleId)}`,
        }));
        const asExpected = cycles[0]?.status === 'completed' && cycles[1]?.status === 'rolled-back';
        const exceptionDocs = exceptions.map((e) => ({
          id: `${e.clientId}/${e.exceptionId}`,
          kind: e.kind,
          status: e.status,
          hostnames: e.hostnames,
          ticketId: e.ticketId,
          signedOffBy: e.signedOffBy,
          approvedBy: e.approvedBy,
          until: e.expiresAt ?? e.reviewAt,
          controls: e.controls,
        }));
        const excludedAsExpected = exceptionDocs.every((e) => e.status === 'active' && e.hostnames.every((h) => cycles[0]?.excluded.some((x) => x.hostname === h)));
        const report = await demoMonthlyReport({ databaseUrl: target.databaseUrl, policy, clientId: 'riverside-dental' });
        if (opts.json) printJson({ cycles, exceptions: exceptionDocs, report, signing: { required: true, people: keys.people.length, keysDir: keys.dir }, temporalUi: target.uiUrl, asExpected: asExpected && excludedAsExpected });
        else {
          for (const c of cycles) {
            info(`\n${c.id}: ${c.status} — ${c.reason}`);
            printTable(
              ['ring', 'state', 'assets', 'deployed', 'verified', 'failed', 'duration'],
              c.rings.map((r) => [r.ring, r.state, r.assets, r.deployed, r.verified, r.failed, r.durationSeconds === null ? '' : `${r.durationSeconds} s`]),
            );
            for (const x of c.excluded) info(`excluded: ${x.hostname} — ${x.reason}${x.exceptionId ? ` [${x.exceptionId}]` : ''}`);
            info(`Temporal UI: ${c.ui}`);
          }
          info('\nexceptions:');
          for (const e of exceptionDocs) {
            info(`  ${e.id} ${e.kind} ${e.status} until ${e.until}: ${e.hostnames.join(', ')}; signed off by ${e.signedOffBy}, approved by ${e.approvedBy}; ticket ${e.ticketId}`);
            for (const c of e.controls) info(`    control: ${c.category} — ${c.description}`);
          }
          for (const line of demoReportLines(report)) info(line);
        }
        if (!excludedAsExpected) throw failed('the demo exceptions were not honoured by the cycle plan', 'see `patchctl cycle status` of the first cycle');
        if (!asExpected) throw failed('the demo cycles did not end as expected (first completed, second rolled back)', 'see `patchctl cycle status` for each');
      } finally {
        await extraWorker?.shutdown();
        await stack?.stop();
      }
    });
}
