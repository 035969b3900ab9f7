import { createHash, type KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { MonthlyReport } from '../../domain/reporting/monthly-report';
import { bundleFiles, MANIFEST, SIGNATURE, writeManifest, type Manifest } from '../evidence/manifest';
import { parseEd25519Key } from '../evidence/signing';
import { monthlyReportCsv } from './report-csv';
import { renderMonthlyReportHtml } from './report-html';
import { printHtmlToPdf, type PdfResult } from './report-pdf';

export const REPORT_FORMATS = ['html', 'pdf', 'csv', 'json'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** `.patchctl/` of this directory (or PATCHCTL_HOME), the same place `patchctl dev` keeps its state. */
export function patchctlHome(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  return env.PATCHCTL_HOME ? resolve(cwd, env.PATCHCTL_HOME) : join(cwd, '.patchctl');
}

/** Where a client's month of reports is kept unless told otherwise: one folder per client and month. */
export function reportDir(home: string, clientId: string, month: string): string {
  return join(home, 'reports', clientId, month);
}

/** The MSP's evidence-signing key from PATCHCTL_EVIDENCE_KEY_FILE; undefined when unset. */
export function signingKeyFromEnv(env: NodeJS.ProcessEnv = process.env): KeyObject | undefined {
  const file = env.PATCHCTL_EVIDENCE_KEY_FILE?.trim();
  if (!file) return undefined;
  return parseEd25519Key(readFileSync(file, 'utf8'), 'private');
}

export interface WrittenBundle {
  dir: string;
  files: string[];
  /** What happened to the PDF when it was asked for. */
  pdf?: PdfResult;
  signed: boolean;
  manifest: Manifest;
  /** SHA-256 of manifest.json: one value that pins every file of the bundle. */
  manifestSha256: string;
}

/**
 * Clears what an earlier run wrote into a bundle folder (a report is rebuilt as of the same date, so
 * the new one replaces it) and refuses a folder holding anything else.
 */
export function prepareReportDir(dir: string, owned: (name: string) => boolean): void {
  mkdirSync(dir, { recursive: true });
  const foreign = bundleFiles(dir).filter((f) => !owned(f));
  if (foreign.length > 0) throw new Error(`${dir} holds files that are not part of a report bundle (${foreign.slice(0, 3).join(', ')}): pass a new or empty directory`);
  for (const file of [...bundleFiles(dir), MANIFEST, SIGNATURE]) rmSync(join(dir, file), { force: true });
}

/** Writes the manifest (hash of every file) and, with a key, its Ed25519 signature, as evidence bundles do. */
export function sealBundle(dir: string, header: Omit<Manifest, 'files'>, signingKey: KeyObject | undefined): { manifest: Manifest; manifestSha256: string } {
  const manifest = writeManifest(dir, header, signingKey);
  const manifestSha256 = createHash('sha256').update(readFileSync(join(dir, MANIFEST))).digest('hex');
  return { manifest, manifestSha256 };
}

export async function writeReportBundle(
  report: MonthlyReport,
  dir: string,
  options: { formats?: readonly ReportFormat[]; signingKey?: KeyObject; chromium?: string; now?: Date } = {},
): Promise<WrittenBundle> {
  const formats = new Set(options.formats ?? REPORT_FORMATS);
  prepareReportDir(dir, (name) => /^report\.(html|pdf|csv|json)$/.test(name));
  const html = renderMonthlyReportHtml(report);
  const htmlFile = join(dir, 'report.html');
  // The PDF is printed from the HTML, so the HTML is written whenever either is asked for.
  if (formats.has('html') || formats.has('pdf')) writeFileSync(htmlFile, html);
  let pdf: PdfResult | undefined;
  if (formats.has('pdf')) {
    pdf = await printHtmlToPdf(htmlFile, join(dir, 'report.pdf'), { chromium: options.chromium });
  }
  if (formats.has('csv')) writeFileSync(join(dir, 'report.csv'), monthlyReportCsv(report));
  if (formats.has('json')) writeFileSync(join(dir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  const header = { clientId: report.clientId, period: { from: report.period.start, to: report.period.end }, createdAt: (options.now ?? new Date()).toISOString() };
  const { manifest, manifestSha256 } = sealBundle(dir, header, options.signingKey);
  return { dir, files: manifest.files.map((f) => f.path), pdf, signed: Boolean(options.signingKey), manifest, manifestSha256 };
}

// The evidence layer zips every kind of bundle (cycle, HIPAA, report) the same way.
export { zipBundle } from '../evidence/bundle-zip';
