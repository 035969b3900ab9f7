import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { unzipSync, zipSync } from 'fflate';
import { BUNDLE_DIR_MODE, BUNDLE_FILE_MODE, bundleFiles, MANIFEST, SIGNATURE, unsafeBundlePath, type BundleProblem } from './manifest';

/** The bundle folder as one .zip (manifest and signature included), for a single attachment or upload; written 0600. */
export function zipBundle(dir: string, zipFile: string): void {
  const entries: Record<string, Uint8Array> = {};
  for (const path of [...bundleFiles(dir), MANIFEST, SIGNATURE]) {
    const file = join(dir, ...path.split('/'));
    if (existsSync(file)) entries[path] = readFileSync(file);
  }
  // A fixed timestamp keeps the archive byte-for-byte reproducible for the same bundle.
  writeFileSync(zipFile, zipSync(entries, { level: 6, mtime: new Date('2000-01-01T00:00:00Z') }), { mode: BUNDLE_FILE_MODE });
}

/**
 * Unpacks a zipped bundle into an empty private folder for verification. An entry whose name leaves
 * the folder (`..`, absolute, backslashes) is never written, only named; everything else becomes a
 * regular file, so a zipped symlink arrives as a file holding its target and fails its hash.
 */
export function unzipBundle(zipFile: string, intoDir: string): BundleProblem[] {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(readFileSync(zipFile));
  } catch (error) {
    return [{ path: zipFile, problem: `not a readable zip: ${(error as Error).message}` }];
  }
  const problems: BundleProblem[] = [];
  for (const [name, data] of Object.entries(entries)) {
    if (name.endsWith('/') && data.length === 0 && !unsafeBundlePath(name.slice(0, -1))) continue;
    if (unsafeBundlePath(name)) {
      problems.push({ path: name, problem: 'a zip entry with a path outside the bundle' });
      continue;
    }
    const file = join(intoDir, ...name.split('/'));
    mkdirSync(dirname(file), { recursive: true, mode: BUNDLE_DIR_MODE });
    writeFileSync(file, data, { mode: BUNDLE_FILE_MODE });
  }
  return problems;
}
