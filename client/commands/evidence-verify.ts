import { Command } from 'commander';
import { z } from 'zod';
import { evidencePublicKey } from '../../activities/evidence/bundle-keys';
import { SIGNATURE, verifyBundle } from '../../activities/evidence/manifest';
import { CliError, ExitCode } from '../errors';
import { parseOptions } from '../options';
import { info, printJson } from '../output';

const options = z.object({ publicKey: z.string().min(1).optional(), allowUnsigned: z.boolean().optional(), json: z.boolean().optional() });

export function evidenceVerifyCommand(): Command {
  return new Command('verify')
    .description('check an evidence bundle: every file hash against manifest.json, no file missing or added, and manifest.sig against the MSP public key')
    .argument('<path>', 'the bundle directory')
    .option('--public-key <file>', 'PEM public key (default: msp.evidencePublicKey of the policy)')
    .option('--allow-unsigned', 'accept a bundle without manifest.sig on its hashes alone (they prove the files are unchanged, not who exported them); a present signature is still checked')
    .option('--json', 'print the result as one JSON document')
    .action((path: string, raw: Record<string, unknown>) => {
      const opts = parseOptions(options, raw);
      const key = evidencePublicKey(opts.publicKey);
      const result = verifyBundle(path, key.pem, { allowUnsigned: opts.allowUnsigned });
      if (!result.ok) {
        const problems = result.problems.map((p) => ({ path: p.path, message: p.problem }));
        // Unsigned and otherwise intact: its own message, so nobody reads it as tampering.
        if (result.signature === 'missing' && result.problems.every((p) => p.path === SIGNATURE)) {
          throw new CliError(
            `${path}: bundle is not signed (no ${SIGNATURE}), so nothing proves who exported it`,
            ExitCode.failed,
            'ask the MSP for an export signed with PATCHCTL_EVIDENCE_KEY_FILE, or pass --allow-unsigned to check the file hashes only',
            problems,
          );
        }
        const fix = result.signature === 'no-key' ? 'pass --public-key FILE or set msp.evidencePublicKey in the policy' : 'do not trust this bundle: ask the MSP for a fresh export';
        throw new CliError(`${path}: the bundle does not verify (${result.problems.length} problem${result.problems.length === 1 ? '' : 's'})`, ExitCode.failed, fix, problems);
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
    });
}
