import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import { findPolicyFile, loadPolicyFile } from '../../config/load-policy';
import { failure, FailureType } from '../../domain/failure-catalog';
import { parseEd25519Key } from './signing';

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

/** The auditor's public key file, else msp.evidencePublicKey of the policy in use; no pem when neither has one. */
export function evidencePublicKey(file: string | undefined): { pem?: string; source: string } {
  if (file) {
    try {
      return { pem: readFileSync(file, 'utf8'), source: file };
    } catch (error) {
      throw invalid(`public key file ${file} cannot be read: ${(error as Error).message}`);
    }
  }
  const policyFile = findPolicyFile(undefined);
  const loaded = loadPolicyFile(policyFile);
  if (!loaded.ok) return { source: `${policyFile} (an invalid policy)` };
  return { pem: loaded.policy.msp.evidencePublicKey, source: `msp.evidencePublicKey in ${policyFile}` };
}

/**
 * The folder a bundle goes to: created if needed, refused when it already holds files (an export
 * never mixes with older evidence). A `.zip` target is refused: bundles are written as folders.
 */
export function prepareBundleDir(path: string): string {
  const dir = resolve(path);
  if (/\.zip$/i.test(path)) {
    throw invalid(`bundle folder "${path}" asks for a zip, but bundles are written as folders (zip the folder afterwards; verification checks the unpacked folder)`);
  }
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw invalid(`bundle folder "${path}" exists and is not a directory`);
    if (readdirSync(dir).length > 0) throw invalid(`bundle folder "${path}" is not empty: a bundle never mixes with other files`);
  }
  mkdirSync(dir, { recursive: true });
  return dir;
}
