import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { createPayloadCodec } from '../activities/codec/codec-keys';
import { decodeHistory } from '../activities/codec/payload-codec';
import type { HistoryJson } from '../activities/evidence/history-json';
import type { HistorySource } from '../activities/evidence/history-source';
import type { CycleStatus } from '../domain/cycle/cycle-status';
import { failure, FailureType } from '../domain/failure-catalog';
import { cycleStatusQuery } from '../workflows/cycle/messages';

/**
 * The evidence builders' HistorySource over a Temporal client: histories are fetched raw from the
 * server (the SDK decodes payloads only for results it hands over itself), then decrypted with the
 * payload codec of PATCHCTL_CODEC_KEYS(_FILE), so that a bundle is readable without our keys.
 */
export function temporalHistorySource(client: Client, codec: PayloadCodec | undefined = createPayloadCodec(process.env)): HistorySource {
  return {
    async fetchHistory(workflowId: string, runId?: string): Promise<HistoryJson> {
      let history;
      try {
        history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) {
          throw failure(FailureType.NotFound, `no workflow ${workflowId}${runId ? ` (run ${runId})` : ''} on this Temporal namespace`, { cause: error });
        }
        throw error;
      }
      return JSON.parse(historyToJSON(codec ? await decodeHistory(history, codec) : history)) as HistoryJson;
    },
    async cycleStatus(cycleWorkflowId: string): Promise<CycleStatus | undefined> {
      try {
        return await client.workflow.getHandle(cycleWorkflowId).query(cycleStatusQuery);
      } catch {
        return undefined;
      }
    },
  };
}
