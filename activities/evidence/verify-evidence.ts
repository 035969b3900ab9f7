import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evidenceTrustAnchor, type TrustAnchor, type TrustAnchorOptions } from './bundle-keys';
import { unzipBundle } from './bundle-zip';
import { verifyBundle, type BundleVerification, type VerifyOptions } from './manifest';

export interface EvidenceCheck {
  result: BundleVerification;
  anchor: TrustAnchor;
}

export type EvidenceCheckOptions = TrustAnchorOptions & VerifyOptions;

const isZip = (path: string) => /\.zip$/i.test(path);

/**
 * Everything `evidence verify` checks, for a folder or a zipped bundle: the trust anchor (a key or
 * policy outside the bundle), every file, the signature. `use` runs on the checked folder while it
 * still exists (a zip is unpacked into a private temporary folder, removed afterwards), so a replay
 * reads exactly the bytes that were verified.
 */
export function checkEvidence<T = void>(path: string, options: EvidenceCheckOptions = {}, use?: (dir: string, check: EvidenceCheck) => T): EvidenceCheck & { used?: T } {
  const anchor = evidenceTrustAnchor(path, options);
  const dir = isZip(path) ? mkdtempSync(join(tmpdir(), 'patchctl-verify-')) : path;
  try {
    const zipProblems = isZip(path) ? unzipBundle(path, dir) : [];
    const verified = verifyBundle(dir, anchor.pem, { allowUnsigned: options.allowUnsigned });
    const problems = [...(anchor.refused ? [anchor.refused] : []), ...zipProblems, ...verified.problems];
    const result = { ...verified, ok: problems.length === 0, problems };
    const check = { result, anchor };
    return use && result.ok ? { ...check, used: use(dir, check) } : check;
  } finally {
    if (dir !== path) rmSync(dir, { recursive: true, force: true });
  }
}
