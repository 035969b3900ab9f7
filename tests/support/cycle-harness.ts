import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { WorkflowHandle } from '@temporalio/client';
import { buildClientAdapters } from '../../activities/adapters/build-adapters';
import { createMailer } from '../../activities/adapters/mail/nodemailer-mailer';
import { createActivities } from '../../activities/create-activities';
import type { ActivityDeps } from '../../activities/deps';
import type { ClientAdapters } from '../../activities/ports';
import { generateFleet } from '../../activities/simulation/fleet-generator';
import { upsertClients } from '../../activities/store/client-store';
import { importAssets } from '../../activities/store/inventory-store';
import { loadPolicyFile } from '../../config/load-policy';
import type { PatchPolicy, SimulationPolicy } from '../../config/policy-schema';
import { requireBinary, resolveTestServer } from '../../config/temporal-binaries';
import type { CycleStatus } from '../../domain/cycle/cycle-status';
import { cycleStatusQuery } from '../../workflows/cycle/messages';
import { createTestDatabase, type TestDatabase } from './database';
import { quietTemporalRuntime } from './quiet-runtime';

export const TASK_QUEUE = 'patchctl-test';

export function loadTestPolicy(file = 'tests/fixtures/policy-cycle.yaml', simulation: Partial<SimulationPolicy> = {}): PatchPolicy {
  const result = loadPolicyFile(join(process.cwd(), file));
  if (!result.ok) throw new Error(`test policy invalid: ${JSON.stringify(result.problems)}`);
  for (const client of result.policy.clients) client.simulation = { ...client.simulation, ...simulation };
  return result.policy;
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/** One webpack bundle of the workflows per test file. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows/index.ts'), logger: quietLogger });
  return bundle;
}

const quietLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: (message: string) => console.error(message),
};

export async function startTimeSkipping(): Promise<TestWorkflowEnvironment> {
  const path = requireBinary(resolveTestServer(), 'temporal-test-server');
  quietTemporalRuntime();
  return TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } } });
}

export interface CycleHarness {
  db: TestDatabase;
  policy: PatchPolicy;
  outboxDir: string;
  deps: ActivityDeps;
  /** Messages in the outbox, as raw .eml text. */
  mail(): string[];
  cleanup(): Promise<void>;
}

/** Clients from the policy and a generated fleet per client, imported as `inventory import` does. */
export async function seedFleet(db: TestDatabase, policy: PatchPolicy, fleet: Record<string, number>): Promise<void> {
  await upsertClients(db.pool, policy.clients);
  for (const [clientId, count] of Object.entries(fleet)) {
    await importAssets(db.pool, clientId, generateFleet(clientId, count, 7).map(({ clientId: _client, ...asset }) => asset));
  }
}

/** A migrated database with the policy's clients and a generated fleet per client, plus activity deps. */
export async function createCycleHarness(
  policy: PatchPolicy,
  fleet: Record<string, number>,
  wrapAdapters?: (adapters: ClientAdapters, clientId: string) => ClientAdapters,
): Promise<CycleHarness> {
  const db = await createTestDatabase();
  await seedFleet(db, policy, fleet);
  const outboxDir = mkdtempSync(join(tmpdir(), 'patchctl-outbox-'));
  const build = buildClientAdapters({ db: db.pool, policy, env: {} });
  const deps: ActivityDeps = {
    db: db.pool,
    policy,
    adaptersFor: (clientId) => (wrapAdapters ? wrapAdapters(build(clientId), clientId) : build(clientId)),
    mailer: createMailer({ from: policy.msp.mailFrom, outboxDir }),
  };
  return {
    db,
    policy,
    outboxDir,
    deps,
    mail: () => readdirSync(outboxDir).filter((f) => f.endsWith('.eml')).sort().map((f) => readFileSync(join(outboxDir, f), 'utf8')),
    async cleanup() {
      await db.drop();
      rmSync(outboxDir, { recursive: true, force: true });
    },
  };
}

export async function createTestWorker(env: TestWorkflowEnvironment, deps: ActivityDeps): Promise<Worker> {
  return Worker.create({
    connection: env.nativeConnection,
    taskQueue: TASK_QUEUE,
    workflowBundle: await workflowBundle(),
    activities: createActivities(deps),
  });
}

/**
 * Lets workflow time pass in steps until the status satisfies `done`. Queries do not move time on
 * the time-skipping server; env.sleep does.
 */
export async function advanceUntil(
  env: TestWorkflowEnvironment,
  handle: WorkflowHandle,
  done: (status: CycleStatus) => boolean,
  step: string | number = '30m',
  maxSteps = 2000,
): Promise<CycleStatus> {
  for (let i = 0; i < maxSteps; i++) {
    const status = await handle.query(cycleStatusQuery);
    if (done(status)) return status;
    if (status.phase === 'completed' || status.phase === 'rolled-back') {
      throw new Error(`cycle ended (${status.phase}: ${status.outcome?.reason}) before the awaited state`);
    }
    await env.sleep(step);
  }
  throw new Error('awaited cycle state never came');
}

/**
 * With PATCHCTL_RECORD_HISTORIES=1, writes the histories of these workflows under tests/replay/histories
 * so they become replay fixtures (`tests/replay`). Normal runs write nothing.
 */
export async function recordHistories(env: TestWorkflowEnvironment, name: string, workflowIds: string[]): Promise<void> {
  if (process.env.PATCHCTL_RECORD_HISTORIES !== '1') return;
  const dir = join(process.cwd(), 'tests', 'replay', 'histories');
  mkdirSync(dir, { recursive: true });
  for (const workflowId of workflowIds) {
    const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
    const file = `${name}--${encodeURIComponent(workflowId)}.json`;
    writeFileSync(join(dir, file), historyToJSON(history));
  }
}
