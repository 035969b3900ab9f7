import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** A secret file that cannot be used: the message names the file and the fix. */
export class SecretFileError extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly fix: string,
  ) {
    super(message);
    this.name = 'SecretFileError';
  }
}

/**
 * The secret a file holds (one line, trimmed): created with 32 random bytes (base64url) in a 0700
 * folder as 0600 when missing and `create` is set; refused when other users can read it, since
 * anyone who reads it can decrypt (codec token) or reverse ids (id secret).
 */
export function readSecretFile(file: string, options: { create: boolean; what: string }): { secret: string; created: boolean } {
  if (!existsSync(file)) {
    if (!options.create) throw new SecretFileError(`${options.what} file ${file} does not exist`, file, `create it (one line, e.g. \`openssl rand -base64 32 > ${file}; chmod 600 ${file}\`)`);
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    const secret = randomBytes(32).toString('base64url');
    writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    return { secret, created: true };
  }
  const mode = statSync(file).mode & 0o777;
  if (mode & 0o077) {
    throw new SecretFileError(`${options.what} file ${file} is readable by other users (mode ${mode.toString(8).padStart(4, '0')})`, file, `run \`chmod 600 ${file}\``);
  }
  const secret = readFileSync(file, 'utf8').trim();
  if (secret.length < 16) throw new SecretFileError(`${options.what} file ${file} holds ${secret.length} characters; expected a secret of at least 16`, file, `put a long random line in it (\`openssl rand -base64 32\`)`);
  return { secret, created: false };
}

/** For a file written before this check: owner-only, as readSecretFile wants it. */
export function restrictSecretFile(file: string): void {
  chmodSync(file, 0o600);
}
