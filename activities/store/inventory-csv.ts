import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { ASSET_CLASSES, OPERATING_SYSTEMS, ROLES } from '../../config/policy-schema';
import type { InputProblem } from '../../config/problems';
import type { Asset } from '../../domain/asset';

/** One inventory row: an asset before it is attached to a client. */
export type AssetRow = Omit<Asset, 'clientId'>;

export type InventoryCsvResult = { ok: true; assets: AssetRow[] } | { ok: false; problems: InputProblem[] };

export const REQUIRED_COLUMNS = ['hostname', 'os', 'role', 'asset_class', 'owner', 'location', 'ephi'] as const;
export const OPTIONAL_COLUMNS = ['tags', 'applications'] as const;
type Column = (typeof REQUIRED_COLUMNS)[number] | (typeof OPTIONAL_COLUMNS)[number];
const ALL_COLUMNS: readonly Column[] = [...REQUIRED_COLUMNS, ...OPTIONAL_COLUMNS];

const HOSTNAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
const EPHI_WORDS: Record<string, boolean> = { yes: true, no: false, true: true, false: false };

function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.string().transform((text, ctx): T[number] => {
    const value = text.toLowerCase();
    if (!values.includes(value)) {
      ctx.addIssue({ code: 'custom', message: `must be one of ${values.join(', ')}, got ${JSON.stringify(text)}` });
      return z.NEVER;
    }
    return value;
  });
}

function required(what: string) {
  return z.string().min(1, `must not be empty; expected ${what}`);
}

/** "a; b;;a" → ["a", "b"]: the playbook's lists are free text, so blanks and repeats are dropped. */
const semicolonList = z
  .string()
  .optional()
  .transform((text) => [...new Set((text ?? '').split(';').map((item) => item.trim()).filter(Boolean))]);

// Hostnames compare case-insensitively (RMMs report WIN-PC01 and win-pc01 alike), so they are stored lower-case.
const rowSchema = z.object({
  hostname: required('a hostname like fs01 or fs01.acme.local')
    .transform((text) => text.toLowerCase())
    .refine((text) => HOSTNAME.test(text) && text.length <= 253, {
      error: (issue) => `must be a hostname of letters, digits, dashes and dots, got ${JSON.stringify(issue.input)}`,
    }),
  os: oneOf(OPERATING_SYSTEMS),
  role: oneOf(ROLES),
  asset_class: oneOf(ASSET_CLASSES),
  owner: required('the person or team that owns the asset'),
  location: required('a site or room'),
  ephi: z.string().transform((text, ctx) => {
    const value = EPHI_WORDS[text.toLowerCase()];
    if (value === undefined) {
      ctx.addIssue({ code: 'custom', message: `must be yes or no (true/false also accepted), got ${JSON.stringify(text)}` });
      return z.NEVER;
    }
    return value;
  }),
  tags: semicolonList,
  applications: semicolonList,
});

interface CsvRecord {
  line: number;
  fields: string[];
}

function readRecords(text: string): { records: CsvRecord[] } | { problem: InputProblem } {
  try {
    const parsed = parse(text, {
      bom: true,
      trim: true,
      skip_empty_lines: true,
      relax_column_count: true,
      info: true,
    }) as unknown as { record: string[]; info: { lines: number } }[];
    return {
      records: parsed.map(({ record, info }) => ({
        // info.lines is where the record ends; a quoted field with line breaks started it earlier.
        line: info.lines - record.reduce((breaks, field) => breaks + (field.match(/\n/g)?.length ?? 0), 0),
        fields: record,
      })),
    };
  } catch (error) {
    const where = (error as { lines?: number }).lines;
    const message = error instanceof Error ? error.message : String(error);
    return { problem: { path: where ? `line ${where}` : '(file)', message: `not valid CSV: ${message}` } };
  }
}

function readHeader(header: CsvRecord): { columns: (Column | undefined)[] } | { problems: InputProblem[] } {
  const problems: InputProblem[] = [];
  const seen = new Set<string>();
  const columns = header.fields.map((raw) => {
    const name = raw.toLowerCase();
    if (!(ALL_COLUMNS as readonly string[]).includes(name)) {
      problems.push({ path: `line ${header.line}: ${raw || '(empty)'}`, message: `unknown column; expected ${ALL_COLUMNS.join(', ')}` });
      return undefined;
    }
    if (seen.has(name)) problems.push({ path: `line ${header.line}: ${raw}`, message: 'column appears more than once' });
    seen.add(name);
    return name as Column;
  });
  for (const name of REQUIRED_COLUMNS) {
    if (!seen.has(name)) problems.push({ path: `line ${header.line}: ${name}`, message: `missing column "${name}"; the header must name ${REQUIRED_COLUMNS.join(', ')}` });
  }
  return problems.length > 0 ? { problems } : { columns };
}

/**
 * Reads an inventory CSV (header row, columns in any order and any case). Either every row is valid
 * and all assets are returned, or every problem in the file is listed — never a partial import.
 */
export function parseInventoryCsv(text: string): InventoryCsvResult {
  const read = readRecords(text);
  if ('problem' in read) return { ok: false, problems: [read.problem] };
  const [header, ...rows] = read.records;
  if (!header) {
    return { ok: false, problems: [{ path: 'line 1', message: `file is empty; expected a header row: ${REQUIRED_COLUMNS.join(',')},tags,applications` }] };
  }
  const headerResult = readHeader(header);
  if ('problems' in headerResult) return { ok: false, problems: headerResult.problems };
  if (rows.length === 0) {
    return { ok: false, problems: [{ path: `line ${header.line + 1}`, message: 'no assets: the file has a header but no rows' }] };
  }

  const problems: InputProblem[] = [];
  const assets: AssetRow[] = [];
  const firstLineOf = new Map<string, number>();
  for (const row of rows) {
    if (row.fields.length !== header.fields.length) {
      problems.push({ path: `line ${row.line}`, message: `expected ${header.fields.length} fields like the header, got ${row.fields.length}` });
      continue;
    }
    const raw: { [name: string]: string } = {};
    headerResult.columns.forEach((column, i) => {
      if (column) raw[column] = row.fields[i] ?? '';
    });
    // Checked before validation so a repeated host is reported even when its row has other problems.
    const hostKey = (raw.hostname ?? '').toLowerCase();
    const first = hostKey ? firstLineOf.get(hostKey) : undefined;
    if (first !== undefined) {
      problems.push({ path: `line ${row.line}: hostname`, message: `duplicate hostname "${hostKey}", already on line ${first}` });
    } else if (hostKey) {
      firstLineOf.set(hostKey, row.line);
    }
    const parsed = rowSchema.safeParse(raw);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        problems.push({ path: `line ${row.line}: ${issue.path.map(String).join('.')}`, message: issue.message });
      }
      continue;
    }
    const asset = parsed.data;
    assets.push({
      hostname: asset.hostname,
      os: asset.os,
      role: asset.role,
      assetClass: asset.asset_class,
      owner: asset.owner,
      location: asset.location,
      ephi: asset.ephi,
      tags: asset.tags,
      applications: asset.applications,
    });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, assets };
}
