import { checkEvidence, type EvidenceCheck, type EvidenceCheckOptions } from '../../activities/evidence/verify-evidence';
import { SIGNATURE } from '../../activities/evidence/manifest';
import { CliError } from '../errors';

export interface VerifiedEvidence {
  ok: true;
  path: string;
  files: number;
  signature: EvidenceCheck['result']['signature'];
  checked: 'hashes-only' | 'hashes-and-signature';
  publicKey: string | null;
  fingerprint: string | null;
  cycleId: string | null;
  createdAt?: string;
}

function refusal(path: string, { result, anchor }: EvidenceCheck): CliError {
  const problems = result.problems.map((p) => ({ path: p.path, message: p.problem }));
  // Unsigned and otherwise intact: its own message, so nobody reads it as tampering.
  if (result.signature === 'missing' && result.problems.every((p) => p.path === SIGNATURE)) {
    return new CliError(
      `${path}: bundle is not signed (no ${SIGNATURE}), so nothing proves who exported it`,
      'failed',
      'ask the MSP for an export signed with PATCHCTL_EVIDENCE_KEY_FILE, or pass --allow-unsigned to check the file hashes only',
      problems,
    );
  }
  const fix = anchor.refused
    ? 'get the MSP public key yourself (not from the bundle), keep it outside the bundle and pass --public-key FILE'
    : result.signature === 'no-key'
      ? 'pass --public-key FILE (the MSP public key you got yourself), or run from a folder whose patchctl.yaml (or PATCHCTL_CONFIG) sets msp.evidencePublicKey, outside the bundle'
      : 'do not trust this bundle: ask the MSP for a fresh export';
  return new CliError(`${path}: the bundle does not verify (${result.problems.length} problem${result.problems.length === 1 ? '' : 's'})`, 'failed', fix, problems);
}

/**
 * `evidence verify`, and the check `evidence replay --bundle` runs first: throws (exit 1, every
 * problem named) unless the bundle verifies; `use` gets the verified folder.
 */
export function verifyEvidence<T = void>(path: string, options: EvidenceCheckOptions, use?: (dir: string) => T): { doc: VerifiedEvidence; used?: T } {
  const check = checkEvidence(path, options, use);
  if (!check.result.ok) throw refusal(path, check);
  const { result, anchor } = check;
  const unsigned = result.signature === 'missing';
  const doc: VerifiedEvidence = {
    ok: true,
    path,
    files: result.files,
    signature: result.signature,
    checked: unsigned ? 'hashes-only' : 'hashes-and-signature',
    publicKey: unsigned ? null : anchor.source,
    fingerprint: unsigned ? null : (anchor.fingerprint ?? null),
    cycleId: result.manifest?.cycleId ?? null,
    createdAt: result.manifest?.createdAt,
  };
  return { doc, used: check.used };
}
