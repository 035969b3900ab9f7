import type { ServiceCheck } from '../../config/policy-schema';
import { errorText, type CheckEnv, type WorkloadCheckOutcome } from './check-outcome';
import { fileShareReadable, httpsEndpoint, targetOf, tcpReachable } from './network-checks';
import { smtpImapRoundTrip } from './smtp-imap-check';

export type { WorkloadCheckOutcome } from './check-outcome';

/** Runs one check to its outcome; never throws: a failing service is an outcome, not an error. */
export async function runServiceCheck(check: ServiceCheck, env: CheckEnv): Promise<WorkloadCheckOutcome> {
  const started = Date.now();
  const deadline = started + check.timeout;
  const base = { name: check.name, kind: check.kind, target: targetOf(check) };
  try {
    let detail: string;
    switch (check.kind) {
      case 'smtp-imap':
        detail = await withDeadline(smtpImapRoundTrip(check, env, deadline), check.timeout);
        break;
      case 'https':
        detail = await httpsEndpoint(check, check.timeout);
        break;
      case 'tcp':
        detail = await tcpReachable(check.host, check.port, check.timeout);
        break;
      case 'file-share':
        detail = await fileShareReadable(check, check.timeout);
        break;
    }
    return { ...base, ok: true, detail, durationMs: Date.now() - started };
  } catch (error) {
    return { ...base, ok: false, detail: errorText(error), durationMs: Date.now() - started };
  }
}

function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not finished within ${Math.round(ms / 1000)}s`)), ms + 1000);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}
