import { DefaultLogger, Runtime } from '@temporalio/worker';

/**
 * Test processes log Temporal at WARN (SDK) and ERROR (core) only. The time-skipping server does not
 * advertise every capability the core asks for, so the core warns once per worker it creates; dozens
 * of identical lines per run would hide what a person has to read. A failing workflow task or an
 * activity error still shows. Call before the first Worker or test environment of the process.
 */
export function quietTemporalRuntime(): void {
  if (Runtime._instance) return;
  Runtime.install({
    logger: new DefaultLogger('WARN'),
    telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } },
    shutdownSignals: [],
  });
}
