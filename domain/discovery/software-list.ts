import { z } from 'zod';

// The MSP's list of software per support status. Supported software is patched by the RMM; for
// unsupported software the list names how it is remediated instead: by hand with verified proof,
// or by another tool. Anything on no list is unknown, which is itself a finding.

export const SOFTWARE_STATUSES = ['supported', 'unsupported', 'unknown'] as const;
export type SoftwareStatus = (typeof SOFTWARE_STATUSES)[number];

const remediationSchema = z.string().superRefine((text, ctx) => {
  if (text === 'manual-with-proof' || /^other-tool: *\S.{0,80}$/.test(text)) return;
  ctx.addIssue({ code: 'custom', message: `must be manual-with-proof or "other-tool: NAME", got ${JSON.stringify(text)}` });
});

/** A name, or a pattern with * for any text ("Adobe Acrobat*"); compared without regard to case. */
const pattern = z.string().trim().min(1, 'must name the software (a * matches any text)').max(200);

export const softwareEntrySchema = z.discriminatedUnion('status', [
  z.object({ name: pattern, status: z.literal('supported'), note: z.string().optional() }).strict(),
  z.object({ name: pattern, status: z.literal('unsupported'), remediation: remediationSchema, note: z.string().optional() }).strict(),
]);
export type SoftwareEntry = z.infer<typeof softwareEntrySchema>;

export const softwareListSchema = z.object({ software: z.array(softwareEntrySchema).min(1, 'must list at least one application') }).strict();

function matcher(entryPattern: string): RegExp {
  const body = entryPattern.toLowerCase().split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${body}$`);
}

export interface SoftwareVerdict {
  status: SoftwareStatus;
  /** The list entry that decided, when one did. */
  pattern?: string;
  remediation?: string;
}

/**
 * The entry for an installed application. An exact name beats a pattern, and among patterns the
 * longest (most specific) wins, so "Java 8*" unsupported can sit beside "Java*" supported.
 */
export function classifySoftware(name: string, list: readonly SoftwareEntry[]): SoftwareVerdict {
  const lower = name.trim().toLowerCase();
  let best: SoftwareEntry | undefined;
  for (const entry of list) {
    const exact = !entry.name.includes('*');
    if (exact ? entry.name.toLowerCase() !== lower : !matcher(entry.name).test(lower)) continue;
    if (!best) best = entry;
    else {
      const bestExact = !best.name.includes('*');
      if ((exact && !bestExact) || (exact === bestExact && entry.name.length > best.name.length)) best = entry;
    }
  }
  if (!best) return { status: 'unknown' };
  return best.status === 'supported' ? { status: 'supported', pattern: best.name } : { status: 'unsupported', pattern: best.name, remediation: best.remediation };
}
