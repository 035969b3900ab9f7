import type { Command } from 'commander';
import { defineCommand } from '../define-command';
import { jsonOption } from '../fragments';
import { option } from '../option-spec';
import { info, printJson } from '../output';

export function evidenceVerifyCommand(): Command {
  return defineCommand({
    name: 'verify',
    description: 'check an evidence bundle (folder or .zip): every file a regular file whose hash matches manifest.json, none missing or added, and manifest.sig against the MSP public key you hold (never one inside the bundle)',
    args: [['<path>', 'the bundle folder or .zip']],
    options: {
      publicKey: option('--public-key <file>', 'the MSP public key (PEM) you got yourself, outside the bundle (default: msp.evidencePublicKey of PATCHCTL_CONFIG or ./patchctl.yaml, also outside the bundle)', ({ z }) => z.string().min(1)),
      allowUnsigned: option(
        '--allow-unsigned',
        'accept a bundle without manifest.sig on its hashes alone (they prove the files are unchanged, not who exported them); a present signature is still checked',
        ({ z }) => z.boolean(),
      ),
      json: jsonOption(),
    },
    run: async (opts, path: string) => {
      const { verifyEvidence } = await import('../../use-cases/verify-evidence.js');
      const { doc } = verifyEvidence(path, { publicKeyFile: opts.publicKey, allowUnsigned: opts.allowUnsigned });
      if (opts.json) printJson(doc);
      else if (doc.checked === 'hashes-only') info(`${path}: ok — ${doc.files} files match manifest.json; NOT signed: hashes only (--allow-unsigned), which shows the files are unchanged since export, not who exported them`);
      else info(`${path}: ok — ${doc.files} files match manifest.json, signature valid for key ${doc.fingerprint} (${doc.publicKey})`);
    },
  });
}
