import { defaultPayloadConverter, type PayloadCodec, type PayloadConverter } from '@temporalio/common';
import { JSONToPayload, type JSONPayload } from '@temporalio/common/lib/proto-utils';

// Histories are handled in the JSON form written to the bundle (what `temporal workflow show -o json`
// prints too), so an auditor's copy and a live fetch go through the same code.

export interface HistoryEvent {
  eventId: string;
  eventTime: string;
  eventType: string;
  [attributes: string]: unknown;
}

export interface HistoryJson {
  events: HistoryEvent[];
}

/** One run of one workflow, as fetched and as written to `histories/`. */
export interface WorkflowRun {
  workflowId: string;
  runId: string;
  /** 1 for the first run, 2 after the first continue-as-new, … */
  run: number;
  /** Path inside the bundle. */
  file: string;
  history: HistoryJson;
}

export type PayloadReader = (payload: JSONPayload | undefined) => Promise<unknown>;

/** Payload → value: the client's codecs (if any) in reverse order, then its payload converter. */
export function payloadReader(codecs: readonly PayloadCodec[] = [], converter: PayloadConverter = defaultPayloadConverter): PayloadReader {
  return async (json) => {
    if (!json) return undefined;
    let payload = JSONToPayload(json);
    for (const codec of [...codecs].reverse()) [payload] = (await codec.decode([payload])) as [typeof payload];
    return converter.fromPayload(payload);
  };
}

export function firstPayload(holder: unknown): JSONPayload | undefined {
  const payloads = (holder as { payloads?: JSONPayload[] } | undefined)?.payloads;
  return payloads?.[0];
}

/** `EVENT_TYPE_ACTIVITY_TASK_COMPLETED` → the event's attributes object. */
export function attributes<T = Record<string, unknown>>(event: HistoryEvent): T {
  const key = Object.keys(event).find((k) => k.endsWith('EventAttributes'));
  return (key ? event[key] : {}) as T;
}

export const EventType = {
  started: 'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED',
  completed: 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED',
  continuedAsNew: 'EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW',
  activityScheduled: 'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED',
  activityCompleted: 'EVENT_TYPE_ACTIVITY_TASK_COMPLETED',
  childInitiated: 'EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED',
  childStarted: 'EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED',
  updateAccepted: 'EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED',
  updateCompleted: 'EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED',
  signaled: 'EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED',
  timerFired: 'EVENT_TYPE_TIMER_FIRED',
} as const;

export interface CompletedActivity {
  workflowId: string;
  runId: string;
  activityType: string;
  input: unknown;
  result: unknown;
  /** The ActivityTaskCompleted event: where the result entered history. */
  eventId: number;
  eventTime: string;
}

/** Every completed activity of the given types in one run, with its decoded input and result. */
export async function completedActivities(run: WorkflowRun, types: ReadonlySet<string>, read: PayloadReader): Promise<CompletedActivity[]> {
  const scheduled = new Map<string, { type: string; input: JSONPayload | undefined }>();
  const found: CompletedActivity[] = [];
  for (const event of run.history.events) {
    if (event.eventType === EventType.activityScheduled) {
      const a = attributes<{ activityType?: { name?: string }; input?: unknown }>(event);
      const type = a.activityType?.name ?? '';
      if (types.has(type)) scheduled.set(String(event.eventId), { type, input: firstPayload(a.input) });
    } else if (event.eventType === EventType.activityCompleted) {
      const a = attributes<{ scheduledEventId?: string | number; result?: unknown }>(event);
      const origin = scheduled.get(String(a.scheduledEventId));
      if (!origin) continue;
      found.push({
        workflowId: run.workflowId,
        runId: run.runId,
        activityType: origin.type,
        input: await read(origin.input),
        result: await read(firstPayload(a.result)),
        eventId: Number(event.eventId),
        eventTime: event.eventTime,
      });
    }
  }
  return found;
}
