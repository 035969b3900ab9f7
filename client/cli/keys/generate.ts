import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { badInput } from '../../errors';
import { defineCommand } from '../define-command';
import { jsonOption } from '../fragments';
import { option } from '../option-spec';
import { printJson } from '../output';

/** Creates the file only if it does not exist yet (flag wx), so an old key is never lost. */
function writeNew(file: string, text: string, mode: number): void {
  try {
    writeFileSync(file, text, { flag: 'wx', mode });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw badInput(`${file} already exists; refusing to overwrite a key`, 'choose another --name or --out, or move the old key away first');
    throw error;
  }
}

export function keysGenerateCommand(): Command {
  return defineCommand({
    name: 'generate',
    description: 'create an Ed25519 key pair for signing evidence bundles',
    options: {
      out: option('--out <dir>', 'directory for <name>.key.pem (private, mode 0600) and <name>.pub.pem', ({ z }) => z.string().min(1, 'must name a directory'), { required: true }),
      name: option('--name <who>', 'name of the key, e.g. msp-evidence', ({ z }) =>
        z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/, 'must be letters, digits, dots, dashes, underscores or @ (e.g. msp-evidence)'), { required: true }),
      json: jsonOption('print {"privateKeyFile","publicKeyFile","publicKey"} as one JSON document'),
    },
    run: async (opts) => {
      const { generateSigningKeyPair } = (await import('../../../activities/evidence/signing.js'));
      const dir = resolve(opts.out);
      mkdirSync(dir, { recursive: true });
      const privateKeyFile = join(dir, `${opts.name}.key.pem`);
      const publicKeyFile = join(dir, `${opts.name}.pub.pem`);
      for (const file of [privateKeyFile, publicKeyFile]) {
        if (existsSync(file)) throw badInput(`${file} already exists; refusing to overwrite a key`, 'choose another --name or --out, or move the old key away first');
      }
      const pair = generateSigningKeyPair();
      writeNew(privateKeyFile, pair.privateKeyPem, 0o600);
      writeNew(publicKeyFile, pair.publicKeyPem, 0o644);
      if (opts.json) {
        printJson({ privateKeyFile, publicKeyFile, publicKey: pair.publicKeyPem });
        return;
      }
      process.stderr.write(
        `wrote ${privateKeyFile} (keep it secret; exports sign with it when PATCHCTL_EVIDENCE_KEY_FILE points at it)\n` +
          `wrote ${publicKeyFile}\npaste the public key below into patchctl.yaml as msp.evidencePublicKey (a YAML block scalar, \`evidencePublicKey: |\`):\n`,
      );
      process.stdout.write(pair.publicKeyPem);
    },
  });
}
