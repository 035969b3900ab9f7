import { Runtime, type LogLevel } from '@temporalio/worker';
import { runtimeOptions, telemetrySettings } from '../../workers/telemetry/runtime-telemetry';

let installed = false;

/**
 * Routes SDK and worker logs to stderr at PATCHCTL_LOG_LEVEL. Native (worker-core) logs are forwarded
 * to the same logger instead of being printed raw and coloured by the core itself, so a level of
 * ERROR (what `evidence replay` uses) hides the core's warnings too. Installs once per process; the
 * Runtime's own signal handling is switched off because our commands stop the worker, database and
 * server in order.
 */
export function installRuntimeLogging(level: LogLevel): void {
  if (installed) return;
  installed = true;
  // PATCHCTL_LOG_FORMAT=json and PATCHCTL_METRICS_LISTEN turn on JSON logs and Prometheus metrics; both off by default.
  Runtime.install(runtimeOptions(telemetrySettings(process.env, level)));
}
