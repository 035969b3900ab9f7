import { defineQuery } from '@temporalio/workflow';

export type DiscoveryStage = 'reconciling' | 'ticketing' | 'done';

/** Where a discovery run is, for `inventory discover`'s progress line. */
export const discoveryStageQuery = defineQuery<DiscoveryStage>('discoveryStage');
