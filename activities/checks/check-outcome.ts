import type { ServiceCheck } from '../../config/policy-schema';

/** One run of one workload check, as the evidence keeps it. */
export interface WorkloadCheckOutcome {
  name: string;
  kind: ServiceCheck['kind'];
  /** What was checked, without secrets: host:port, the URL, the mailbox. */
  target: string;
  ok: boolean;
  detail: string;
  durationMs: number;
}

export type CheckEnv = Readonly<Record<string, string | undefined>>;

export function errorText(error: unknown): string {
  const e = error as { code?: string; message?: string; response?: string };
  return [e.code, e.response ?? e.message].filter(Boolean).join(': ') || String(error);
}
