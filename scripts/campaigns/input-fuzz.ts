/*
 * input-fuzz (issue 10): malformed policies and inventories through the real `patchctl` binary.
 * Each must exit 2, name its file and the exact problem path, print no stack, and write no row.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { migrateUp } from '../../activities/store/migrate';
import { repoRoot } from '../../config/repo-root';
import type { CampaignFigures } from './support/campaign';
import { inventoryInputs, policyInputs, type MalformedInput } from './support/malformed-inputs';

export interface InputFuzzOptions {
  /** Try only this many inputs, spread over every family (the test's smaller sample). */
  sample?: number;
  /** The PostgreSQL server the imports point at; a fresh database is created on it and dropped. */
  serverUrl?: string;
  concurrency?: number;
}

interface Outcome {
  input: MalformedInput;
  code: number | null;
  output: string;
}

const CLIENT = 'acme-dental';

function cliEntry(): string {
  const entry = join(repoRoot(), 'dist', 'client', 'main.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\` first`);
  return entry;
}

function run(entry: string, input: MalformedInput, env: NodeJS.ProcessEnv): Promise<Outcome> {
  const args = input.command === 'config check' ? ['config', 'check', input.file] : ['inventory', 'import', input.file, '--client', CLIENT];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [entry, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    // Only the start of a reply is read: a CLI that echoed a 3 MB line back would be a finding anyway.
    const keep = (chunk: Buffer) => {
      if (output.length < 64 * 1024) output += chunk.toString('utf8');
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('close', (code) => resolve({ input, code, output }));
  });
}

/** Why an outcome broke the promise, or undefined when it held. */
export function verdict(outcome: Outcome): string | undefined {
  const { input, code, output } = outcome;
  if (code !== 2) return `exit ${code}`;
  if (!output.includes(input.file)) return 'the file is not named';
  if (!output.split('\n').some((line) => line.trimStart().startsWith(`${input.expectPath}: `))) return `no problem at ${input.expectPath}`;
  if (/^\s+at .+:\d+:\d+\)?$/m.test(output)) return 'a stack trace was printed';
  if (/expected (string|number|boolean|object|array), received/.test(output)) return "zod's own wording leaked";
  return undefined;
}

function spread<T extends { family: string }>(items: T[], count: number | undefined): T[] {
  if (count === undefined || count >= items.length) return items;
  const byFamily = new Map<string, T[]>();
  for (const item of items) byFamily.set(item.family, [...(byFamily.get(item.family) ?? []), item]);
  const picked: T[] = [];
  for (let round = 0; picked.length < count; round++) {
    for (const group of byFamily.values()) {
      const item = group[round];
      if (item && picked.length < count) picked.push(item);
    }
  }
  return picked;
}

export async function withDatabase<T>(serverUrl: string, fn: (url: string) => Promise<T>): Promise<T> {
  const name = `patchctl_input_fuzz_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  try {
    return await fn(url.toString());
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  }
}

async function rowsWritten(url: string): Promise<number> {
  const db = new Client({ connectionString: url });
  await db.connect();
  try {
    const { rows } = await db.query<{ assets: string }>('SELECT count(*) AS assets FROM assets');
    return Number(rows[0]?.assets ?? 0);
  } finally {
    await db.end();
  }
}

export async function inputFuzz(options: InputFuzzOptions = {}): Promise<CampaignFigures> {
  const entry = cliEntry();
  const dir = mkdtempSync(join(tmpdir(), 'patchctl-input-fuzz-'));
  const serverUrl = options.serverUrl ?? process.env.PATCHCTL_TEST_DATABASE_URL ?? 'postgresql://postgres:postgres@127.0.0.1:5432/postgres';
  try {
    const policies = spread(policyInputs(dir, join(repoRoot(), 'patchctl.example.yaml')), options.sample && Math.ceil(options.sample / 2));
    const inventories = spread(inventoryInputs(dir), options.sample && Math.floor(options.sample / 2));
    const inputs = [...policies, ...inventories];
    return await withDatabase(serverUrl, async (databaseUrl) => {
      await migrateUp(databaseUrl);
      const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8', DATABASE_URL: databaseUrl, PATCHCTL_CONFIG: join(repoRoot(), 'patchctl.example.yaml') };
      const outcomes: Outcome[] = [];
      let next = 0;
      const worker = async () => {
        while (next < inputs.length) outcomes.push(await run(entry, inputs[next++]!, env));
      };
      await Promise.all(Array.from({ length: options.concurrency ?? 2 }, worker));
      const rows = await rowsWritten(databaseUrl);
      const failures = outcomes.flatMap((o) => {
        const why = verdict(o);
        return why ? [{ file: o.input.file.slice(dir.length + 1), family: o.input.family, why }] : [];
      });
      // A written row breaks every import that could have written it: none is allowed to.
      const broken = rows > 0 ? outcomes.length : failures.length;
      return {
        tried: outcomes.length,
        held: outcomes.length - broken,
        broken,
        policies: policies.length,
        inventories: inventories.length,
        families: [...new Set(inputs.map((i) => i.family))].length,
        rowsWritten: rows,
        exitCodes: outcomes.reduce<Record<string, number>>((acc, o) => ({ ...acc, [String(o.code)]: (acc[String(o.code)] ?? 0) + 1 }), {}),
        failures: failures.slice(0, 20),
      };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const campaign = () => inputFuzz();
