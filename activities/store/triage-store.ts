import type { TriageStatus } from '../../domain/triage/triage';
import type { Queryable } from './pool';

// The triage register: one row per credential alert, written by its workflow at each step.

export interface TriageRecord {
  triageId: string;
  clientId: string;
  user: string;
  kind: string;
  alertId: string | null;
  source: string;
  state: string;
  manualReason: string | null;
  ticketId: string | null;
  receivedAt: string;
  slaDeadline: string;
  completedAt: string | null;
  slaMet: boolean | null;
  escalations: number;
  decidedBy: string | null;
  resolution: string | null;
  outcome: string | null;
  steps: TriageStatus['steps'];
}

export function triageRecordOf(s: TriageStatus): TriageRecord {
  return {
    triageId: s.triageId,
    clientId: s.clientId,
    user: s.user,
    kind: s.kind,
    alertId: s.alertId ?? null,
    source: s.source,
    state: s.state,
    manualReason: s.manualReason ?? null,
    ticketId: s.ticketId ?? null,
    receivedAt: s.receivedAt,
    slaDeadline: s.slaDeadline,
    completedAt: s.completedAt ?? null,
    slaMet: s.slaMet ?? null,
    escalations: s.escalations,
    decidedBy: s.decision?.by ?? null,
    resolution: s.decision?.resolution ?? null,
    outcome: s.outcome ?? null,
    steps: s.steps,
  };
}

export async function saveTriage(db: Queryable, r: TriageRecord): Promise<void> {
  await db.query(
    `INSERT INTO triage_records (triage_id, client_id, user_principal, kind, alert_id, source, state, manual_reason, ticket_id,
                                 received_at, sla_deadline, completed_at, sla_met, escalations, decided_by, resolution, outcome, steps)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18)
     ON CONFLICT (client_id, triage_id) DO UPDATE SET
       state = EXCLUDED.state, manual_reason = EXCLUDED.manual_reason, ticket_id = EXCLUDED.ticket_id,
       completed_at = EXCLUDED.completed_at, sla_met = EXCLUDED.sla_met, escalations = EXCLUDED.escalations,
       decided_by = EXCLUDED.decided_by, resolution = EXCLUDED.resolution, outcome = EXCLUDED.outcome,
       steps = EXCLUDED.steps, updated_at = now()`,
    [r.triageId, r.clientId, r.user, r.kind, r.alertId, r.source, r.state, r.manualReason, r.ticketId, r.receivedAt, r.slaDeadline, r.completedAt, r.slaMet, r.escalations, r.decidedBy, r.resolution, r.outcome, JSON.stringify(r.steps)],
  );
}

interface Row {
  triage_id: string;
  client_id: string;
  user_principal: string;
  kind: string;
  alert_id: string | null;
  source: string;
  state: string;
  manual_reason: string | null;
  ticket_id: string | null;
  received_at: Date;
  sla_deadline: Date;
  completed_at: Date | null;
  sla_met: boolean | null;
  escalations: number;
  decided_by: string | null;
  resolution: string | null;
  outcome: string | null;
  steps: TriageStatus['steps'];
}

const toRecord = (r: Row): TriageRecord => ({
  triageId: r.triage_id,
  clientId: r.client_id,
  user: r.user_principal,
  kind: r.kind,
  alertId: r.alert_id,
  source: r.source,
  state: r.state,
  manualReason: r.manual_reason,
  ticketId: r.ticket_id,
  receivedAt: r.received_at.toISOString(),
  slaDeadline: r.sla_deadline.toISOString(),
  completedAt: r.completed_at?.toISOString() ?? null,
  slaMet: r.sla_met,
  escalations: r.escalations,
  decidedBy: r.decided_by,
  resolution: r.resolution,
  outcome: r.outcome,
  steps: r.steps,
});

export async function getTriage(db: Queryable, clientId: string, triageId: string): Promise<TriageRecord | undefined> {
  const { rows } = await db.query<Row>(`SELECT * FROM triage_records WHERE client_id = $1 AND triage_id = $2`, [clientId, triageId]);
  return rows[0] ? toRecord(rows[0]) : undefined;
}

/** Triage records, newest first; `month` (YYYY-MM, UTC) by when the alert was received. */
export async function listTriage(db: Queryable, filter: { clientId?: string; month?: string } = {}): Promise<TriageRecord[]> {
  const start = filter.month ? `${filter.month}-01T00:00:00Z` : null;
  const { rows } = await db.query<Row>(
    `SELECT * FROM triage_records
      WHERE ($1::text IS NULL OR client_id = $1)
        AND ($2::timestamptz IS NULL OR (received_at >= $2::timestamptz AND received_at < $2::timestamptz + interval '1 month'))
      ORDER BY received_at DESC, triage_id`,
    [filter.clientId ?? null, start],
  );
  return rows.map(toRecord);
}

/** Records a webhook delivery by its signature; false when it was seen before (a replay). */
export async function rememberWebhookDelivery(db: Queryable, signature: string, olderThan: Date): Promise<boolean> {
  await db.query(`DELETE FROM triage_webhook_deliveries WHERE received_at < $1`, [olderThan]);
  const result = await db.query(`INSERT INTO triage_webhook_deliveries (signature) VALUES ($1) ON CONFLICT DO NOTHING`, [signature]);
  return (result.rowCount ?? 0) === 1;
}
