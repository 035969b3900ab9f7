import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPORT_FORMATS } from '../../activities/reporting/report-bundle';
import { REQUIRED_COLUMNS } from '../../activities/store/inventory-csv';
import { RINGS, SEVERITIES } from '../../config/policy-schema';
import { handleCliError } from '../../client/errors';
import { PROMOTION_RING_HELP, RING_HELP } from '../../client/cli/fragments';
import { COLUMNS_HELP } from '../../client/cli/inventory/import';
import { REPORT_FORMAT_NAMES } from '../../client/cli/report/monthly';
import { QBR_FORMAT_NAMES } from '../../client/cli/report/qbr';
import { QBR_FORMATS } from '../../activities/reporting/qbr';
import { buildProgram } from '../../client/main';

const ROOT = join(__dirname, '..', '..');

/** Runs the program in-process and returns what the one error handler printed and the exit code. */
async function run(args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  try {
    await buildProgram().parseAsync(args, { from: 'user' });
    return { code: 0, stderr };
  } catch (err) {
    const code = handleCliError(err, { json: false, stderr: (t) => (stderr += t), stdout: () => undefined });
    return { code, stderr };
  }
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('CLI options', () => {
  it('reports a typo’d option as the unknown option it is, not as the required one it missed', async () => {
    const { code, stderr } = await run(['cycle', 'start', '--clinet', 'acme-dental']);
    expect(code).toBe(2);
    expect(stderr).toContain("unknown option '--clinet'");
    expect(stderr).not.toContain('is required');
  });

  it('names a missing required option after every option was recognised', async () => {
    const { code, stderr } = await run(['cycle', 'approve', 'acme-dental/x', '--ring', 'pilot']);
    expect(code).toBe(2);
    expect(stderr).toContain('--as: is required');
  });

  it('checks a client id with the policy’s grammar and names the flag and the value', async () => {
    const { code, stderr } = await run(['inventory', 'import', 'fleet.csv', '--client', 'Acme_Dental']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/--client: must be lower-case letters, digits and dashes.*got "Acme_Dental"/);
  });

  it('refuses bad report options before anything runs, naming the flag and the value', async () => {
    const format = await run(['report', 'monthly', '--client', 'acme-dental', '--month', '2026-10', '--format', 'docx']);
    expect(format.code).toBe(2);
    expect(format.stderr).toContain('--format: must be one of html, pdf, csv, json, got "docx"');
    const both = await run(['report', 'scorecard', '--week', '--month', '2026-10']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--week: cannot be combined with --month');
    const noClient = await run(['inventory', 'export', '--month', '2026-10']);
    expect(noClient.code).toBe(2);
    expect(noClient.stderr).toContain('--client: is required');
  });

  it('declares --json, --as, --key and --client once, in the shared fragments', () => {
    const offenders: string[] = [];
    for (const file of files(join(ROOT, 'client', 'cli'))) {
      const rel = relative(ROOT, file);
      if (rel.endsWith('fragments.ts')) continue;
      const text = readFileSync(file, 'utf8');
      for (const flag of ["'--json'", "'--as <who>'", "'--key <file>'", "'--client <id>'"]) if (text.includes(flag)) offenders.push(`${rel}: ${flag}`);
    }
    expect(offenders).toEqual([]);
  });

  it('keeps the value lists in help texts equal to what the schemas accept', () => {
    expect(RING_HELP).toBe(RINGS.join(' | '));
    expect(PROMOTION_RING_HELP).toBe(RINGS.filter((r) => r !== 'canary').join(' | '));
    expect(COLUMNS_HELP).toBe(REQUIRED_COLUMNS.join(','));
    expect(REPORT_FORMAT_NAMES).toEqual(REPORT_FORMATS);
    expect(QBR_FORMAT_NAMES).toEqual(QBR_FORMATS);
    const start = buildProgram().commands.find((c) => c.name() === 'cycle')!.commands.find((c) => c.name() === 'start')!;
    expect(start.options.find((o) => o.long === '--severity')?.description).toContain(SEVERITIES.join(' | '));
  });
});
