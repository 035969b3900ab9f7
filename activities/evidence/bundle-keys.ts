import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import { DEFAULT_POLICY_FILES, findPolicyFile, loadPolicyFile } from '../../config/load-policy';
import { failure, FailureType } from '../../domain/failure-catalog';
import { zipBundle } from './bundle-zip';
import { BUNDLE_DIR_MODE, type BundleProblem } from './manifest';
import { keyFingerprint, parseEd25519Key } from './signing';

export const KEY_FILE_VARIABLE = 'PATCHCTL_EVIDENCE_KEY_FILE';

const keyFileEnv = z.string().trim().min(1, 'must name a PEM private key file');

// Errors here say what is wrong with the key or folder; the CLI (or an activity's caller) knows how
// it was asked for and adds how to fix it.

const invalid = (message: string) => failure(FailureType.InvalidInput, message);

/** The signing key from PATCHCTL_EVIDENCE_KEY_FILE; undefined when the variable is not set. */
export function evidenceSigningKey(env: NodeJS.ProcessEnv = process.env): KeyObject | undefined {
  const raw = env[KEY_FILE_VARIABLE];
  if (raw === undefined) return undefined;
  const parsed = keyFileEnv.safeParse(raw);
  if (!parsed.success) throw invalid(`${KEY_FILE_VARIABLE}: ${parsed.error.issues[0]?.message}, got "${raw}"`);
  const file = parsed.data;
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (error) {
    throw invalid(`${KEY_FILE_VARIABLE}=${file} cannot be read: ${(error as Error).message}`);
  }
  try {
    return parseEd25519Key(pem, 'private');
  } catch (error) {
    throw invalid(`${KEY_FILE_VARIABLE}=${file} ${(error as Error).message.replace(/^error:\s*/i, '')}`);
  }
}

export interface TrustAnchor {
  /** The key the signature is checked against; absent when none was given or it was refused. */
  pem?: string;
  /** Where it came from, as the auditor should read it back. */
  source: string;
  fingerprint?: string;
  /** A key or policy the bundle carries itself: named, never used. */
  refused?: BundleProblem;
}

export interface TrustAnchorOptions {
  /** --public-key FILE. */
  publicKeyFile?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

function realOrResolved(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

/** The path inside the bundle (with `/`), or undefined when `file` lies outside it. */
function insideBundle(bundleDir: string, file: string): string | undefined {
  const rel = relative(realOrResolved(bundleDir), realOrResolved(file));
  if (rel === '') return '.';
  if (rel.startsWith('..') || isAbsolute(rel)) return undefined;
  return rel.split(sep).join('/');
}

/**
 * The key a bundle is checked against: --public-key FILE, else msp.evidencePublicKey of the policy
 * PATCHCTL_CONFIG or ./patchctl.yaml names. Either must lie outside the bundle: a rewritten bundle
 * carrying its own key or policy (and run from inside it) would otherwise vouch for itself.
 */
export function evidenceTrustAnchor(bundleDir: string, options: TrustAnchorOptions = {}): TrustAnchor {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const refuse = (file: string, reached: string): TrustAnchor => {
    const path = insideBundle(bundleDir, file)!;
    return {
      source: reached,
      refused: { path, problem: `${reached} lies inside the bundle it is meant to check, so it vouches for nothing: keep the MSP's public key outside the bundle and pass --public-key FILE (or a policy outside it)` },
    };
  };
  if (options.publicKeyFile) {
    const file = resolve(cwd, options.publicKeyFile);
    if (insideBundle(bundleDir, file)) return refuse(file, `the public key ${file}`);
    let pem: string;
    try {
      pem = readFileSync(file, 'utf8');
    } catch (error) {
      throw invalid(`public key file ${file} cannot be read: ${(error as Error).message}`);
    }
    return { pem, source: file, fingerprint: fingerprintOrUndefined(pem) };
  }
  const hasPolicy = Boolean(env.PATCHCTL_CONFIG) || DEFAULT_POLICY_FILES.some((name) => existsSync(resolve(cwd, name)));
  if (!hasPolicy) return { source: 'no --public-key and no policy file (PATCHCTL_CONFIG or ./patchctl.yaml)' };
  const policyFile = findPolicyFile(undefined, env, cwd);
  if (insideBundle(bundleDir, policyFile)) {
    return refuse(policyFile, env.PATCHCTL_CONFIG ? `the policy PATCHCTL_CONFIG=${env.PATCHCTL_CONFIG} (${policyFile})` : `the policy ${policyFile}`);
  }
  const loaded = loadPolicyFile(policyFile);
  if (!loaded.ok) return { source: `${policyFile} (an invalid policy)` };
  const pem = loaded.policy.msp.evidencePublicKey;
  return { pem, source: `msp.evidencePublicKey in ${policyFile}`, fingerprint: pem ? fingerprintOrUndefined(pem) : undefined };
}

// A key that cannot be parsed gets no fingerprint here; the signature check names what is wrong with it.
function fingerprintOrUndefined(pem: string): string | undefined {
  try {
    return keyFingerprint(pem);
  } catch {
    return undefined;
  }
}

export interface BundleTarget {
  /** The folder the builders write into (a private temporary one for a zip). */
  dir: string;
  /** The `.zip` the folder becomes once sealed. */
  zipFile?: string;
}

/**
 * Where a bundle goes: a new or empty folder (created 0700), or a new `.zip` file, built in a private
 * temporary folder first. An export never mixes with older evidence, and never replaces a zip.
 */
export function prepareBundleTarget(path: string): BundleTarget {
  const target = resolve(path);
  if (/\.zip$/i.test(path)) {
    if (existsSync(target)) throw invalid(`bundle zip "${path}" already exists: an export never replaces older evidence`);
    if (!existsSync(dirname(target)) || !statSync(dirname(target)).isDirectory()) throw invalid(`bundle zip "${path}": folder ${dirname(target)} does not exist`);
    return { dir: mkdtempSync(join(tmpdir(), 'patchctl-evidence-')), zipFile: target };
  }
  if (existsSync(target)) {
    if (!statSync(target).isDirectory()) throw invalid(`bundle folder "${path}" exists and is not a directory`);
    if (readdirSync(target).length > 0) throw invalid(`bundle folder "${path}" is not empty: a bundle never mixes with other files`);
  }
  mkdirSync(target, { recursive: true, mode: BUNDLE_DIR_MODE });
  chmodSync(target, BUNDLE_DIR_MODE);
  return { dir: target };
}

/** After the manifest is written: zips the folder (0600) and removes it; the path the auditor gets. */
export function finishBundleTarget(target: BundleTarget): string {
  if (!target.zipFile) return target.dir;
  try {
    zipBundle(target.dir, target.zipFile);
  } finally {
    rmSync(target.dir, { recursive: true, force: true });
  }
  return target.zipFile;
}

/** Removes the temporary folder of a zip target whose export failed. */
export function abandonBundleTarget(target: BundleTarget): void {
  if (target.zipFile) rmSync(target.dir, { recursive: true, force: true });
}
