import { Command } from 'commander';
import { z } from 'zod';
import { evidencePublicKey } from '../../activities/evidence/bundle-keys';
import { verifyBundle } from '../../activities/evidence/manifest';
import { CliError, ExitCode } from '../errors';
import { parseOptions } from '../options';
import { info, printJson } from '../output';

const options = z.object({ publicKey: z.string().min(1).optional(), json: z.boolean().optional() });

export function evidenceVerifyCommand(): Command {
  return new Command('verify')
    .description('check an evidence bundle: every file hash against manifest.json, no file missing or added, and manifest.sig against the MSP public key')
    .argument('<path>', 'the bundle directory')
    .option('--public-key <file>', 'PEM public key (default: msp.evidencePublicKey of the policy)')
    .option('--json', 'print the result as one JSON document')
    .action((path: string, raw: Record<string, unknown>) => {
      const opts = parseOptions(options, raw);
      const key = evidencePublicKey(opts.publicKey);
      const result = verifyBundle(path, key.pem);
      if (!result.ok) {
        const fix = result.signature === 'no-key' ? 'pass --public-key FILE or set msp.evidencePublicKey in the policy' : 'do not trust this bundle: ask the MSP for a fresh export';
        throw new CliError(`${path}: the bundle does not verify (${result.problems.length} problem${result.problems.length === 1 ? '' : 's'})`, ExitCode.failed, fix, result.problems.map((p) => ({ path: p.path, message: p.problem })));
      }
      const doc = { ok: true, path, files: result.files, signature: result.signature, publicKey: key.source, cycleId: result.manifest?.cycleId ?? null, createdAt: result.manifest?.createdAt };
      if (opts.json) printJson(doc);
      else info(`${path}: ok — ${result.files} files match manifest.json, signature valid (${key.source})`);
    });
}
