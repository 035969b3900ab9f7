import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { buildClientAdapters } from '../../activities/adapters/build-adapters';
import { createMailer } from '../../activities/adapters/mail/nodemailer-mailer';
import { createActivities } from '../../activities/create-activities';
import { generateFleet } from '../../activities/simulation/fleet-generator';
import { upsertClients } from '../../activities/store/client-store';
import { importAssets } from '../../activities/store/inventory-store';
import { createPool } from '../../activities/store/pool';
import { loadPolicyFile } from '../../config/load-policy';
import type { PatchPolicy } from '../../config/policy-schema';
import { repoRoot } from '../../config/repo-root';
import { ringRateControls } from '../../domain/cycle/rate-controls';
import { ringWorkflowId } from '../../domain/ids';
import { workflowSource } from '../../workers/workflow-source';
import { ringRollout } from '../../workflows/cycle/ring-rollout';

// The "breaker" row: a production ring where the patch fails on every asset (simulation.failingRings),
// deployed with the policy's default rate controls on the real dev server, PostgreSQL and the
// simulated RMM. Measured: how many assets the RMM received the patch on before the breaker stopped
// the ring, against the bound maxErrors + maxConcurrency.

export interface BreakerRow {
  ringSize: number;
  received: number;
  maxErrors: number;
  maxConcurrency: number;
  met: boolean;
  seconds: number;
}

const CLIENT = 'bench-breaker';
/** Canary and pilot take about a fifth: this fleet leaves a production ring of about 5,000. */
const FLEET = 6_300;

export async function benchBreaker(options: { address: string; databaseUrl: string; dir: string; policy: PatchPolicy }): Promise<BreakerRow> {
  const policy = structuredClone(options.policy);
  // The other rows switch the gates off; this one measures the shipped production ring's defaults.
  const example = loadPolicyFile(join(repoRoot(), 'patchctl.example.yaml'));
  if (!example.ok) throw new Error('example policy invalid');
  policy.rings.production = example.policy.rings.production;
  policy.clients = [
    {
      ...policy.clients[0]!,
      id: CLIENT,
      timezone: 'UTC',
      maintenanceWindows: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], start: '00:00', duration: 86_400_000 }],
      workloadChecks: [],
      simulation: { seed: 7, failureRate: 0, failingHosts: [], failingRings: ['production'], latencyMs: 0 },
    },
  ];
  const pool = createPool(options.databaseUrl, 20);
  const connection = await NativeConnection.connect({ address: options.address });
  try {
    await upsertClients(pool, [{ id: CLIENT, name: CLIENT, timezone: 'UTC', owner: 'owner@bench.test' }]);
    await importAssets(pool, CLIENT, generateFleet(CLIENT, FLEET, 7).map(({ clientId: _client, ...asset }) => asset));
    const activities = createActivities({ db: pool, policy, adaptersFor: buildClientAdapters({ db: pool, policy, env: {} }), mailer: createMailer({ from: policy.msp.mailFrom, outboxDir: join(options.dir, 'outbox-breaker') }) });
    const cycleId = `cycle/${CLIENT}/breaker`;
    const plan = await activities.planCycle({ cycleId, clientId: CLIENT, requestedBy: 'engineer@msp.example', plannedAt: new Date().toISOString() });
    const production = plan.rings.find((r) => r.ring === 'production')!;
    const controls = ringRateControls(policy.rings.production, production.size, policy.rollout.batchSize);
    const worker = await Worker.create({ connection, taskQueue: 'bench-breaker', ...workflowSource(), activities });
    const client = new Client({ connection: await Connection.connect({ address: options.address }) });
    const started = performance.now();
    const result = await worker.runUntil(
      client.workflow.execute(ringRollout, {
        taskQueue: 'bench-breaker',
        workflowId: ringWorkflowId(cycleId, 'production'),
        args: [
          {
            cycleId,
            clientId: CLIENT,
            ring: 'production',
            attempt: 1,
            planned: production.size,
            batches: production.batches,
            timezone: plan.timezone,
            maintenanceWindows: plan.maintenanceWindows,
            workloadChecks: plan.workloadChecks,
            jobPollIntervalMs: policy.rollout.jobPollInterval,
            rateControls: controls,
            outageLimits: { batchLeadTimeMs: policy.rollout.batchLeadTime, maxVendorFailures: policy.rollout.maxVendorFailures },
            jobDeadlineMs: policy.rollout.jobDeadline,
          },
        ],
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    await client.connection.close();
    if (!result.stopped) throw new Error(`breaker row: the ring did not stop (${result.failed} of ${result.planned} failed)`);
    const { rows } = await pool.query<{ received: string }>("SELECT count(DISTINCT hostname) AS received FROM sim_rmm_jobs WHERE client_id = $1 AND kind = 'deploy'", [CLIENT]);
    const received = Number(rows[0]?.received ?? 0);
    return { ringSize: production.size, received, maxErrors: controls.maxErrors, maxConcurrency: controls.maxConcurrency, met: received <= controls.maxErrors + controls.maxConcurrency, seconds };
  } finally {
    await connection.close();
    await pool.end();
  }
}

export function breakerLine(row: BreakerRow): string {
  return `breaker: production ring of ${row.ringSize}, patch failing everywhere: ${row.received} assets received it before the breaker tripped (${row.seconds.toFixed(1)} s), target ≤ maxErrors ${row.maxErrors} + maxConcurrency ${row.maxConcurrency} = ${row.maxErrors + row.maxConcurrency}${row.met ? '' : ' (MISSED)'}`;
}
