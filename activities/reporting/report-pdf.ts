import { execFile } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { pathToFileURL } from 'node:url';

// PDF = the HTML report printed by headless Chromium (Debian's `chromium` package, installed by
// `npm run setup` / CI when missing). Without it the report is still complete as HTML, and the
// caller says so instead of failing.

const CANDIDATES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

export const CHROMIUM_MISSING = 'no Chromium found (looked for chromium, chromium-browser, google-chrome on PATH): the report was written as HTML only; install it with `apt-get install chromium` (or run `npm run setup` as root) for the PDF';

export function findChromium(env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    for (const name of CANDIDATES) {
      const file = join(dir, name);
      try {
        accessSync(file, constants.X_OK);
        return file;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

export type PdfResult = { ok: true; file: string } | { ok: false; reason: string };

/** Prints `htmlFile` to `pdfFile` with headless Chromium; never throws for a missing or failing browser. */
export async function printHtmlToPdf(htmlFile: string, pdfFile: string, options: { chromium?: string; timeoutMs?: number } = {}): Promise<PdfResult> {
  const chromium = options.chromium ?? findChromium();
  if (!chromium) return { ok: false, reason: CHROMIUM_MISSING };
  // Its own profile per run: two reports printed at once must not fight over one profile lock.
  const profile = mkdtempSync(join(tmpdir(), 'patchctl-chromium-'));
  const args = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-dev-shm-usage',
    '--no-first-run',
    '--no-pdf-header-footer',
    `--user-data-dir=${profile}`,
    `--print-to-pdf=${pdfFile}`,
    pathToFileURL(htmlFile).toString(),
  ];
  try {
    await new Promise<void>((resolve, reject) => {
      execFile(chromium, args, { timeout: options.timeoutMs ?? 120_000 }, (error, _stdout, stderr) => {
        if (error) reject(new Error(`${error.message}${stderr ? `: ${String(stderr).trim().split('\n').slice(-3).join(' | ')}` : ''}`));
        else resolve();
      });
    });
    if (statSync(pdfFile).size === 0) return { ok: false, reason: `${chromium} wrote an empty PDF` };
    return { ok: true, file: pdfFile };
  } catch (error) {
    return { ok: false, reason: `${chromium} could not print the report: ${(error as Error).message}; the report was written as HTML only` };
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}
