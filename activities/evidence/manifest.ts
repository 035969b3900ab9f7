import { createHash } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, posix } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import { parseEd25519Key, signatureValid, signBytes } from './signing';

export const MANIFEST = 'manifest.json';
export const SIGNATURE = 'manifest.sig';

export interface ManifestFile {
  path: string;
  sha256: string;
  bytes: number;
}

export interface Manifest {
  /** The cycle a cycle bundle is for; absent in a HIPAA bundle, which covers a client and period. */
  cycleId?: string;
  clientId?: string;
  period?: { from: string; to: string };
  createdAt: string;
  files: ManifestFile[];
}

// A manifest comes from outside (an auditor's copy): validated before any path in it is opened.
const manifestSchema = z.object({
  cycleId: z.string().optional(),
  clientId: z.string().optional(),
  period: z.object({ from: z.string(), to: z.string() }).optional(),
  createdAt: z.string(),
  files: z.array(z.object({ path: z.string().min(1), sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 hex digits'), bytes: z.number().int().min(0) })),
});

// Bundles hold decrypted histories: owner-only, whatever the umask says.
export const BUNDLE_FILE_MODE = 0o600;
export const BUNDLE_DIR_MODE = 0o700;

interface BundleEntries {
  /** Regular files, bundle-relative with `/`, sorted, without the manifest and its signature. */
  files: string[];
  /** Anything else found (symlinks, sockets, devices): a bundle holds only regular files and folders. */
  irregular: BundleProblem[];
}

function irregularKind(stats: { isSymbolicLink(): boolean }): string {
  return stats.isSymbolicLink() ? 'a symlink, not a regular file: a bundle holds only regular files' : 'not a regular file: a bundle holds only regular files';
}

// Dirent types come from lstat: a symlink is reported as one, never followed into what it names.
function scanBundle(dir: string): BundleEntries {
  const files: string[] = [];
  const irregular: BundleProblem[] = [];
  const walk = (relative: string) => {
    for (const entry of readdirSync(join(dir, relative), { withFileTypes: true })) {
      const path = relative ? posix.join(relative, entry.name) : entry.name;
      if (entry.isDirectory()) walk(path);
      else if (!entry.isFile()) irregular.push({ path, problem: irregularKind(entry) });
      else if (path !== MANIFEST && path !== SIGNATURE) files.push(path);
    }
  };
  walk('');
  return { files: files.sort(), irregular };
}

/** Bundle-relative paths of the regular files, sorted, without the manifest and its signature. */
export function bundleFiles(dir: string): string[] {
  return scanBundle(dir).files;
}

/** Makes every file of the bundle 0600 and every folder 0700 (the folder itself included). */
export function restrictBundle(dir: string): void {
  chmodSync(dir, BUNDLE_DIR_MODE);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) restrictBundle(path);
    else if (entry.isFile()) chmodSync(path, BUNDLE_FILE_MODE);
  }
}

function hashFile(file: string): { sha256: string; bytes: number } {
  const data = readFileSync(file);
  return { sha256: createHash('sha256').update(data).digest('hex'), bytes: data.length };
}

export function buildManifest(dir: string, header: Omit<Manifest, 'files'>): Manifest {
  return { ...header, files: bundleFiles(dir).map((path) => ({ path, ...hashFile(join(dir, ...path.split('/'))) })) };
}

/** Writes manifest.json and, with a key, manifest.sig over its exact bytes. */
export function writeManifest(dir: string, header: Omit<Manifest, 'files'>, privateKey?: KeyObject): Manifest {
  const manifest = buildManifest(dir, header);
  const bytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(join(dir, MANIFEST), bytes, { mode: BUNDLE_FILE_MODE });
  if (privateKey) writeFileSync(join(dir, SIGNATURE), signBytes(bytes, privateKey), { mode: BUNDLE_FILE_MODE });
  restrictBundle(dir);
  return manifest;
}

export interface BundleProblem {
  path: string;
  problem: string;
}

export type SignatureState = 'valid' | 'invalid' | 'missing' | 'no-key';

export interface BundleVerification {
  ok: boolean;
  manifest?: Manifest;
  /** Files listed in the manifest. */
  files: number;
  signature: SignatureState;
  problems: BundleProblem[];
}

function lstatOrUndefined(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

/** No folder on the way to a listed file is a symlink (lstat of the file alone would follow them). */
function parentsAreFolders(dir: string, path: string): boolean {
  const parts = path.split('/').slice(0, -1);
  return parts.every((_, i) => lstatOrUndefined(join(dir, ...parts.slice(0, i + 1)))?.isDirectory() === true);
}

/** A path that could leave the bundle folder: absolute, `..`, empty or `.` parts, backslashes. */
export function unsafeBundlePath(path: string): boolean {
  return isAbsolute(path) || path.includes('\\') || path.split('/').some((part) => part === '..' || part === '' || part === '.');
}

export interface VerifyOptions {
  /**
   * Accept a bundle without manifest.sig on its hashes alone: they prove the files match the
   * manifest, not who wrote it. A signature that is present is still checked.
   */
  allowUnsigned?: boolean;
}

function checkSignature(dir: string, bytes: Buffer, publicKeyPem: string | undefined, problems: BundleProblem[], options: VerifyOptions): SignatureState {
  const sigFile = join(dir, SIGNATURE);
  const sigStats = lstatOrUndefined(sigFile);
  if (sigStats && !sigStats.isFile()) {
    problems.push({ path: SIGNATURE, problem: irregularKind(sigStats) });
    return 'invalid';
  }
  if (!sigStats) {
    if (!options.allowUnsigned) problems.push({ path: SIGNATURE, problem: 'missing: the bundle is not signed' });
    return 'missing';
  }
  if (!publicKeyPem) {
    problems.push({ path: SIGNATURE, problem: 'no public key to check it against: pass --public-key FILE or set msp.evidencePublicKey in the policy' });
    return 'no-key';
  }
  let key: KeyObject;
  try {
    key = parseEd25519Key(publicKeyPem, 'public');
  } catch (error) {
    problems.push({ path: SIGNATURE, problem: `the public key cannot be used: ${(error as Error).message}` });
    return 'no-key';
  }
  if (signatureValid(bytes, readFileSync(sigFile, 'utf8'), key)) return 'valid';
  problems.push({ path: SIGNATURE, problem: 'signature does not match manifest.json for this public key (manifest changed, or signed with another key)' });
  return 'invalid';
}

/**
 * Recomputes every hash and checks the signature. Every problem is named: changed, missing and extra
 * files, a bad manifest, a missing or forged signature. ok only when there is none.
 */
export function verifyBundle(dir: string, publicKeyPem: string | undefined, options: VerifyOptions = {}): BundleVerification {
  const problems: BundleProblem[] = [];
  const manifestFile = join(dir, MANIFEST);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    return { ok: false, files: 0, signature: 'missing', problems: [{ path: dir, problem: 'not a directory: pass the folder `evidence export` wrote' }] };
  }
  const manifestStats = lstatOrUndefined(manifestFile);
  if (!manifestStats) {
    return { ok: false, files: 0, signature: 'missing', problems: [{ path: MANIFEST, problem: 'missing: this is not an evidence bundle, or its manifest was removed' }] };
  }
  if (!manifestStats.isFile()) return { ok: false, files: 0, signature: 'missing', problems: [{ path: MANIFEST, problem: irregularKind(manifestStats) }] };
  const bytes = readFileSync(manifestFile);
  let manifest: Manifest;
  try {
    const parsed = manifestSchema.safeParse(JSON.parse(bytes.toString('utf8')));
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
      return { ok: false, files: 0, signature: checkSignature(dir, bytes, publicKeyPem, problems, options), problems: [{ path: MANIFEST, problem: `not a valid manifest: ${issues}` }, ...problems] };
    }
    manifest = parsed.data;
  } catch (error) {
    return { ok: false, files: 0, signature: 'missing', problems: [{ path: MANIFEST, problem: `not JSON: ${(error as Error).message}` }] };
  }
  const listed = new Set<string>();
  for (const file of manifest.files) {
    if (unsafeBundlePath(file.path)) {
      problems.push({ path: file.path, problem: 'listed with a path outside the bundle' });
      continue;
    }
    if (listed.has(file.path)) {
      problems.push({ path: file.path, problem: 'listed twice in the manifest' });
      continue;
    }
    listed.add(file.path);
    const onDisk = join(dir, ...file.path.split('/'));
    const stats = lstatOrUndefined(onDisk);
    // A symlink is never followed: it could name a file outside the bundle that happens to match.
    if (stats && !stats.isFile() && !stats.isDirectory()) {
      problems.push({ path: file.path, problem: irregularKind(stats) });
      continue;
    }
    if (!stats?.isFile() || !parentsAreFolders(dir, file.path)) {
      problems.push({ path: file.path, problem: 'listed in the manifest but missing' });
      continue;
    }
    const actual = hashFile(onDisk);
    if (actual.sha256 !== file.sha256) {
      problems.push({ path: file.path, problem: `sha256 does not match the manifest (expected ${file.sha256}, got ${actual.sha256}; ${actual.bytes} bytes, manifest says ${file.bytes})` });
    } else if (actual.bytes !== file.bytes) {
      problems.push({ path: file.path, problem: `size does not match the manifest (expected ${file.bytes} bytes, got ${actual.bytes})` });
    }
  }
  const found = scanBundle(dir);
  for (const path of found.files) {
    if (!listed.has(path)) problems.push({ path, problem: 'not listed in the manifest (added after export)' });
  }
  // A symlink already named above (listed, then refused) is not named twice.
  for (const entry of found.irregular) if (!listed.has(entry.path)) problems.push(entry);
  const signature = checkSignature(dir, bytes, publicKeyPem, problems, options);
  return { ok: problems.length === 0, manifest, files: manifest.files.length, signature, problems };
}
