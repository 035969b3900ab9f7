import type { KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { mkdirSync } from 'node:fs';
import type { PatchPolicy } from '../../config/policy-schema';
import type { Queryable } from '../store/pool';
import { buildMonthlyReport } from './monthly-report-data';
import { patchctlHome, reportDir, writeReportBundle, zipBundle, type ReportFormat, type WrittenBundle } from './report-bundle';

export interface ProduceMonthlyReportInput {
  db: Queryable;
  policy: PatchPolicy;
  clientId: string;
  month: string;
  /** Only these files (default: html, pdf, csv and json). */
  formats?: ReportFormat[];
  /** A directory for the bundle, or a `.zip` file; default `.patchctl/reports/<client>/<month>/`. */
  out?: string;
  signingKey?: KeyObject;
  env?: NodeJS.ProcessEnv;
}

export interface ProducedMonthlyReport extends Omit<WrittenBundle, 'manifest'> {
  /** The .zip written when `out` named one. */
  zip?: string;
}

/** What `report monthly` does: the report as of the month's end, sealed, in a folder or a zip. */
export async function produceMonthlyReport(input: ProduceMonthlyReportInput): Promise<ProducedMonthlyReport> {
  const report = await buildMonthlyReport(input);
  const zip = input.out && /\.zip$/i.test(input.out) ? resolve(input.out) : undefined;
  const dir = zip ? mkdtempSync(join(tmpdir(), 'patchctl-report-')) : input.out ? resolve(input.out) : reportDir(patchctlHome(input.env), input.clientId, input.month);
  try {
    const { manifest: _manifest, ...bundle } = await writeReportBundle(report, dir, { formats: input.formats, signingKey: input.signingKey });
    if (!zip) return bundle;
    mkdirSync(dirname(zip), { recursive: true });
    zipBundle(dir, zip);
    return { ...bundle, dir: zip, zip };
  } finally {
    if (zip) rmSync(dir, { recursive: true, force: true });
  }
}
