import { defineQuery, defineUpdate } from '@temporalio/workflow';
import { TRIAGE_STATUS_QUERY, type TriageDecision, type TriageState, type TriageStatus } from '../../domain/triage/triage';

// Every message credentialTriage accepts. Wire names are stable camelCase: renaming one breaks
// running triages and the CLI of everyone who has not upgraded yet.

export interface TriageAccepted {
  accepted: true;
  state: TriageState;
}

/** A named responder decides on an account patchctl must not reset by itself. */
export const resolveTriageUpdate = defineUpdate<TriageAccepted, [TriageDecision]>('resolveTriage');
export const triageStatusQuery = defineQuery<TriageStatus>(TRIAGE_STATUS_QUERY);
