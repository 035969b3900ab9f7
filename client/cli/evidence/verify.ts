import type { Command } from 'commander';
import { defineCommand } from '../define-command';
import { jsonOption } from '../fragments';
import { option } from '../option-spec';
import { info, printJson } from '../output';

export function evidenceVerifyCommand(): Command {
  return defineCommand({
    name: 'verify',
    description: 'check an evidence bundle: every file hash against manifest.json, no file missing or added, and manifest.sig against the MSP public key',
    args: [['<path>', 'the bundle directory']],
    options: {
      publicKey: option('--public-key <file>', 'PEM public key (default: msp.evidencePublicKey of the policy)', ({ z }) => z.string().min(1)),
      json: jsonOption(),
    },
    run: async (opts, path: string) => {
      const [{ evidencePublicKey }, { verifyBundle }, { CliError }] = await Promise.all([import('../../evidence/bundle-keys.js'), import('../../evidence/manifest.js'), import('../../errors.js')]);
      const key = evidencePublicKey(opts.publicKey);
      const result = verifyBundle(path, key.pem);
      if (!result.ok) {
        const fix = result.signature === 'no-key' ? 'pass --public-key FILE or set msp.evidencePublicKey in the policy' : 'do not trust this bundle: ask the MSP for a fresh export';
        throw new CliError(`${path}: the bundle does not verify (${result.problems.length} problem${result.problems.length === 1 ? '' : 's'})`, 'failed', fix, result.problems.map((p) => ({ path: p.path, message: p.problem })));
      }
      const doc = { ok: true, path, files: result.files, signature: result.signature, publicKey: key.source, cycleId: result.manifest?.cycleId ?? null, createdAt: result.manifest?.createdAt };
      if (opts.json) printJson(doc);
      else info(`${path}: ok — ${result.files} files match manifest.json, signature valid (${key.source})`);
    },
  });
}
