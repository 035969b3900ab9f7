export interface GateInput {
  planned: number;
  failed: number;
  threshold: number;
}

export interface GateResult {
  failureRate: number;
  threshold: number;
  breached: boolean;
}

/** A ring's failure rate over its planned assets; the gate breaches when it is above the threshold. */
export function evaluateGate({ planned, failed, threshold }: GateInput): GateResult {
  const failureRate = planned === 0 ? 0 : failed / planned;
  return { failureRate, threshold, breached: failureRate > threshold };
}
