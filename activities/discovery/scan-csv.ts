import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { OPERATING_SYSTEMS } from '../../config/policy-schema';
import type { InputProblem } from '../../config/problems';
import { failure } from '../../domain/failure-catalog';
import type { SeenDevice } from '../store/discovery-store';

// Devices seen by a source other than the RMM: a subnet scan (nmap, a firewall's DHCP leases)
// exported as CSV with a header row. Only the hostname is required; an IP without a name is no device
// patchctl can track, so it is refused rather than guessed at.

const HOSTNAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
const COLUMNS = ['hostname', 'ip', 'os', 'mac'] as const;

const rowSchema = z.object({
  hostname: z
    .string()
    .min(1, 'must not be empty; expected the device\'s hostname')
    .transform((text) => text.toLowerCase())
    .refine((text) => HOSTNAME.test(text) && text.length <= 253, { error: (issue) => `must be a hostname of letters, digits, dashes and dots, got ${JSON.stringify(issue.input)}` }),
  ip: z.union([z.literal(''), z.ipv4(), z.ipv6()], { error: (issue) => `must be an IPv4 or IPv6 address, got ${JSON.stringify(issue.input)}` }).optional(),
  os: z
    .string()
    .optional()
    .transform((text, ctx) => {
      const value = (text ?? '').toLowerCase();
      if (value === '') return null;
      if (!(OPERATING_SYSTEMS as readonly string[]).includes(value)) {
        ctx.addIssue({ code: 'custom', message: `must be empty or one of ${OPERATING_SYSTEMS.join(', ')}, got ${JSON.stringify(text)}` });
        return z.NEVER;
      }
      return value;
    }),
  mac: z.string().optional(),
});

export type ScanCsvResult = { ok: true; devices: SeenDevice[] } | { ok: false; problems: InputProblem[] };

/** Parses one scan export; every problem is listed with its line, never a partial list. */
export function parseScanCsv(text: string, source: string): ScanCsvResult {
  let records: { record: Record<string, string>; info: { lines: number } }[];
  try {
    records = parse(text, { bom: true, trim: true, skip_empty_lines: true, columns: (header: string[]) => header.map((h) => h.toLowerCase()), info: true }) as never;
  } catch (error) {
    const where = (error as { lines?: number }).lines;
    return { ok: false, problems: [{ path: where ? `line ${where}` : '(file)', message: `not valid CSV: ${error instanceof Error ? error.message : String(error)}` }] };
  }
  const problems: InputProblem[] = [];
  const header = Object.keys(records[0]?.record ?? {});
  if (records.length > 0 && !header.includes('hostname')) return { ok: false, problems: [{ path: 'line 1', message: `missing column "hostname"; columns: ${COLUMNS.join(', ')}` }] };
  for (const name of header) if (!(COLUMNS as readonly string[]).includes(name)) problems.push({ path: `line 1: ${name}`, message: `unknown column; expected ${COLUMNS.join(', ')}` });
  const devices: SeenDevice[] = [];
  for (const { record, info } of records) {
    const parsed = rowSchema.safeParse(record);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) problems.push({ path: `line ${info.lines}: ${issue.path.join('.')}`, message: issue.message });
      continue;
    }
    devices.push({ hostname: parsed.data.hostname, os: parsed.data.os, role: null, source, rmm: false });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, devices };
}

/** Reads every configured scan file; a missing or malformed file is refused naming the file and line. */
export function readScanFiles(paths: readonly string[]): SeenDevice[] {
  const devices: SeenDevice[] = [];
  for (const path of paths) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      throw failure('InvalidInput', `unmanagedSources: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
    const result = parseScanCsv(text, `csv:${basename(path)}`);
    if (!result.ok) throw failure('InvalidInput', `${path}: ${result.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
    devices.push(...result.devices);
  }
  return devices;
}
