import type { UptimeNeed } from '../../config/policy-schema';

// The 30-day roadmap's first artifact: "Identify the top 20% of clients by risk, prioritizing
// regulated accounts, high uptime needs, and ePHI exposure"; issue 12 adds overdue critical patches.
// The playbook gives the order, not numbers, so each factor is worth less than the one before it:
// a regulated account outranks a high-uptime one, which outranks a larger ePHI share, which outranks
// more overdue critical patches, while two clients equal on the first factors are told apart by the next.

/** Points per factor, in the playbook's order of priority; a score is at most 100. */
export const RISK_WEIGHTS = { regulated: 40, uptime: 30, ephiExposure: 20, overdueCritical: 10 } as const;

/** The share of clients flagged: the top 20 % (at least one when there is any client). */
export const RISK_FLAG_SHARE = 0.2;

export interface ClientRiskFacts {
  clientId: string;
  /** From the policy; undefined when the policy does not say (counted as not regulated, and shown as unknown). */
  regulated: boolean | undefined;
  uptime: UptimeNeed | undefined;
  assets: number;
  ephiAssets: number;
  /** Assets with a critical patch whose SLA deadline passed without verification (exceptions excluded). */
  overdueCriticalAssets: number;
}

export interface ClientRisk extends ClientRiskFacts {
  /** ePHI assets / assets, 0..1. */
  ephiShare: number;
  /** Overdue-critical assets / assets, 0..1. */
  overdueCriticalShare: number;
  points: { regulated: number; uptime: number; ephiExposure: number; overdueCritical: number };
  score: number;
  rank: number;
  /** In the top 20 %: baseline and scope these first. */
  flagged: boolean;
}

const share = (part: number, whole: number) => (whole === 0 ? 0 : part / whole);
const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

export function clientRisk(facts: ClientRiskFacts): Omit<ClientRisk, 'rank' | 'flagged'> {
  const ephiShare = share(facts.ephiAssets, facts.assets);
  const overdueCriticalShare = share(facts.overdueCriticalAssets, facts.assets);
  const points = {
    regulated: facts.regulated ? RISK_WEIGHTS.regulated : 0,
    uptime: facts.uptime === 'high' ? RISK_WEIGHTS.uptime : 0,
    ephiExposure: round(RISK_WEIGHTS.ephiExposure * ephiShare),
    overdueCritical: round(RISK_WEIGHTS.overdueCritical * overdueCriticalShare),
  };
  const score = round(points.regulated + points.uptime + points.ephiExposure + points.overdueCritical);
  return { ...facts, ephiShare: round(ephiShare, 4), overdueCriticalShare: round(overdueCriticalShare, 4), points, score };
}

/** Ranks clients by score (ties by client id) and flags the top 20 %, rounded up. */
export function rankClientRisks(facts: readonly ClientRiskFacts[]): ClientRisk[] {
  const flaggedCount = Math.ceil(RISK_FLAG_SHARE * facts.length);
  return facts
    .map(clientRisk)
    .sort((a, b) => b.score - a.score || (a.clientId < b.clientId ? -1 : a.clientId > b.clientId ? 1 : 0))
    .map((risk, index) => ({ ...risk, rank: index + 1, flagged: index < flaggedCount }));
}
