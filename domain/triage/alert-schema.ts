import { z } from 'zod';
import { TRIAGE_ALERT_KINDS, type TriageAlert } from './triage';

// What an incoming credential alert must look like, for the CLI and the webhook alike. Not imported
// by workflow code: the workflow receives an alert already checked here.

export const triageAlertSchema = z
  .object({
    clientId: z.string().regex(/^[a-z0-9][a-z0-9-]{1,40}$/, 'must be a client id from the policy (lower-case letters, digits, dashes)'),
    user: z.email({ message: 'must be the account as a user principal name like jane@client.example' }),
    kind: z.enum(TRIAGE_ALERT_KINDS, { message: `must be one of ${TRIAGE_ALERT_KINDS.join(', ')}` }),
    alertId: z.string().trim().min(1).max(200).optional(),
    summary: z.string().trim().max(1000).optional(),
    detectedAt: z.iso.datetime({ offset: true, message: 'must be an ISO date-time like 2026-12-02T03:00:00Z' }).optional(),
  })
  .strict() satisfies z.ZodType<TriageAlert>;
