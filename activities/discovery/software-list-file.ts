import { readFileSync } from 'node:fs';
import { parse as parseCsv } from 'csv-parse/sync';
import { parse as parseYaml } from 'yaml';
import type { InputProblem } from '../../config/problems';
import { softwareEntrySchema, softwareListSchema, type SoftwareEntry } from '../../domain/discovery/software-list';

// The MSP's software list, as YAML (`software: [{name, status, remediation?, note?}]`) or CSV with
// the columns name,status,remediation,note. Every problem is named by its line (CSV) or path (YAML).

export type SoftwareListResult = { ok: true; entries: SoftwareEntry[] } | { ok: false; problems: InputProblem[] };

function fromCsv(text: string): SoftwareListResult {
  let records: { record: Record<string, string>; info: { lines: number } }[];
  try {
    records = parseCsv(text, { bom: true, trim: true, skip_empty_lines: true, columns: (h: string[]) => h.map((c) => c.toLowerCase()), info: true }) as never;
  } catch (error) {
    return { ok: false, problems: [{ path: '(file)', message: `not valid CSV: ${error instanceof Error ? error.message : String(error)}` }] };
  }
  if (records.length === 0) return { ok: false, problems: [{ path: 'line 2', message: 'no software: expected a header name,status,remediation,note and rows' }] };
  const problems: InputProblem[] = [];
  const entries: SoftwareEntry[] = [];
  for (const { record, info } of records) {
    const raw = Object.fromEntries(Object.entries(record).filter(([, v]) => v !== ''));
    const parsed = softwareEntrySchema.safeParse(raw);
    if (parsed.success) entries.push(parsed.data);
    else for (const issue of parsed.error.issues) problems.push({ path: `line ${info.lines}: ${issue.path.join('.') || 'status'}`, message: issue.message });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, entries };
}

function fromYaml(text: string): SoftwareListResult {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (error) {
    return { ok: false, problems: [{ path: '(file)', message: `not valid YAML: ${error instanceof Error ? error.message : String(error)}` }] };
  }
  const parsed = softwareListSchema.safeParse(doc);
  if (parsed.success) return { ok: true, entries: parsed.data.software };
  return { ok: false, problems: parsed.error.issues.map((issue) => ({ path: issue.path.map(String).join('.') || '(file)', message: issue.message })) };
}

export function parseSoftwareList(text: string, fileName: string): SoftwareListResult {
  return /\.csv$/i.test(fileName) ? fromCsv(text) : fromYaml(text);
}

export function readSoftwareListFile(path: string): SoftwareListResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return { ok: false, problems: [{ path: '(file)', message: `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}` }] };
  }
  return parseSoftwareList(text, path);
}
