import { z } from 'zod';

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION = /^(\d+(?:\.\d+)?)(s|m|h|d)$/;

/** Parses "90s", "15m", "24h", "7d" into milliseconds; undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match) return undefined;
  const unit = match[2] as keyof typeof UNIT_MS;
  return Math.round(Number(match[1]) * UNIT_MS[unit]);
}

export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    if (ms >= UNIT_MS[unit] && ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  }
  return `${ms / 1000}s`;
}

export const DURATION_EXPECTED = 'a duration like 30s, 15m, 24h or 7d';

/** A duration written as text in YAML ("24h"), carried as milliseconds everywhere else. */
export const durationSchema = z
  .string({ error: (issue) => (issue.input === undefined ? `missing; expected ${DURATION_EXPECTED}` : `expected ${DURATION_EXPECTED}`) })
  .transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `expected ${DURATION_EXPECTED}` });
      return z.NEVER;
    }
    return ms;
  });

/**
 * A duration with the bounds a safe rollout needs (a 0s poll spins, a 100-year exception never
 * expires); the error names both bounds so the user knows what would be accepted.
 */
export function boundedDuration(min: string, max: string) {
  const low = parseDuration(min)!;
  const high = parseDuration(max)!;
  return durationSchema.refine((ms) => ms >= low && ms <= high, `must be between ${min} and ${max}`);
}
