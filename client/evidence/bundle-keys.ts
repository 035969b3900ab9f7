import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import { findPolicyFile, loadPolicyFile } from '../../config/load-policy';
import { badInput } from '../errors';
import { parseEd25519Key } from './signing';

export const KEY_FILE_VARIABLE = 'PATCHCTL_EVIDENCE_KEY_FILE';

const keyFileEnv = z.string().trim().min(1, 'must name a PEM private key file');

/** The signing key from PATCHCTL_EVIDENCE_KEY_FILE; undefined when the variable is not set. */
export function evidenceSigningKey(env: NodeJS.ProcessEnv = process.env): KeyObject | undefined {
  const raw = env[KEY_FILE_VARIABLE];
  if (raw === undefined) return undefined;
  const parsed = keyFileEnv.safeParse(raw);
  if (!parsed.success) throw badInput(`${KEY_FILE_VARIABLE}: ${parsed.error.issues[0]?.message}, got "${raw}"`, 'point it at the .key.pem that `patchctl keys generate` wrote, or unset it');
  const file = parsed.data;
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (error) {
    throw badInput(`${KEY_FILE_VARIABLE}=${file} cannot be read: ${(error as Error).message}`, 'point it at a readable PEM private key');
  }
  try {
    return parseEd25519Key(pem, 'private');
  } catch (error) {
    throw badInput(`${KEY_FILE_VARIABLE}=${file} ${(error as Error).message.replace(/^error:\s*/i, '')}`, 'use the .key.pem that `patchctl keys generate` wrote');
  }
}

/** --public-key FILE, else msp.evidencePublicKey of the policy in use; undefined when neither has one. */
export function evidencePublicKey(file: string | undefined): { pem?: string; source: string } {
  if (file) {
    try {
      return { pem: readFileSync(file, 'utf8'), source: file };
    } catch (error) {
      throw badInput(`--public-key: ${file} cannot be read: ${(error as Error).message}`, 'pass the .pub.pem that `patchctl keys generate` wrote');
    }
  }
  const policyFile = findPolicyFile(undefined);
  const loaded = loadPolicyFile(policyFile);
  if (!loaded.ok) return { source: `${policyFile} (invalid policy: run \`patchctl config check\`)` };
  return { pem: loaded.policy.msp.evidencePublicKey, source: `msp.evidencePublicKey in ${policyFile}` };
}

/**
 * The folder a bundle goes to: created if needed, refused when it already holds files (an export
 * never mixes with older evidence). A `.zip` target is refused: no zip library is installed.
 */
export function prepareBundleDir(path: string): string {
  const dir = resolve(path);
  if (/\.zip$/i.test(path)) {
    throw badInput(`--out: "${path}" asks for a zip, but this build writes bundles as directories only (no zip library is installed)`, 'pass a directory, then zip it with any tool: `evidence verify` checks the unpacked folder');
  }
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw badInput(`--out: "${path}" exists and is not a directory`, 'pass a new or empty directory');
    if (readdirSync(dir).length > 0) throw badInput(`--out: "${path}" is not empty`, 'pass a new or empty directory: a bundle never mixes with other files');
  }
  mkdirSync(dir, { recursive: true });
  return dir;
}
