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
      allowUnsigned: option(
        '--allow-unsigned',
        'accept a bundle without manifest.sig on its hashes alone (they prove the files are unchanged, not who exported them); a present signature is still checked',
        ({ z }) => z.boolean(),
      ),
      json: jsonOption(),
    },
    run: async (opts, path: string) => {
      const [{ evidencePublicKey }, { SIGNATURE, verifyBundle }, { CliError }] = await Promise.all([
        import('../../../activities/evidence/bundle-keys.js'),
        import('../../../activities/evidence/manifest.js'),
        import('../../errors.js'),
      ]);
      const key = evidencePublicKey(opts.publicKey);
      const result = verifyBundle(path, key.pem, { allowUnsigned: opts.allowUnsigned });
      if (!result.ok) {
        const problems = result.problems.map((p) => ({ path: p.path, message: p.problem }));
        // Unsigned and otherwise intact: its own message, so nobody reads it as tampering.
        if (result.signature === 'missing' && result.problems.every((p) => p.path === SIGNATURE)) {
          throw new CliError(
            `${path}: bundle is not signed (no ${SIGNATURE}), so nothing proves who exported it`,
            'failed',
            'ask the MSP for an export signed with PATCHCTL_EVIDENCE_KEY_FILE, or pass --allow-unsigned to check the file hashes only',
            problems,
          );
        }
        const fix = result.signature === 'no-key' ? 'pass --public-key FILE or set msp.evidencePublicKey in the policy' : 'do not trust this bundle: ask the MSP for a fresh export';
        throw new CliError(`${path}: the bundle does not verify (${result.problems.length} problem${result.problems.length === 1 ? '' : 's'})`, 'failed', fix, problems);
      }
      const unsigned = result.signature === 'missing';
      const doc = {
        ok: true,
        path,
        files: result.files,
        signature: result.signature,
        checked: unsigned ? 'hashes-only' : 'hashes-and-signature',
        publicKey: unsigned ? null : key.source,
        cycleId: result.manifest?.cycleId ?? null,
        createdAt: result.manifest?.createdAt,
      };
      if (opts.json) printJson(doc);
      else if (unsigned) info(`${path}: ok — ${result.files} files match manifest.json; NOT signed: hashes only (--allow-unsigned), which shows the files are unchanged since export, not who exported them`);
      else info(`${path}: ok — ${result.files} files match manifest.json, signature valid (${key.source})`);
    },
  });
}
