import { readFileSync, statSync } from 'node:fs';
import type { CheckSecret } from '../../config/policy-schema';
import type { CheckEnv } from './check-outcome';

/** A check's password from its environment variable or its owner-only file; throws saying which is wrong. */
export function readCheckSecret(secret: CheckSecret, env: CheckEnv): string {
  if (secret.env) {
    const value = env[secret.env];
    if (!value) throw new Error(`environment variable ${secret.env} is not set`);
    return value;
  }
  const file = secret.file!;
  const mode = statSync(file).mode & 0o777;
  if (mode & 0o077) throw new Error(`${file} is readable by other users (mode ${mode.toString(8).padStart(4, '0')}); run chmod 600 ${file}`);
  const value = readFileSync(file, 'utf8').trim();
  if (!value) throw new Error(`${file} is empty`);
  return value;
}
