import type { Writable } from 'node:stream';
import { DefaultLogger, type LogLevel, type LogMetadata, type Logger, type RuntimeOptions } from '@temporalio/worker';
import { pino } from 'pino';
import { z } from 'zod';

// Operations telemetry of a worker process, all of it off unless asked for: JSON logs (pino, one
// object a line, for a log shipper) instead of text, and a Prometheus endpoint with the SDK's own
// metrics and patchctl's (counters created through the activity's metric meter).

const LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'] as const;

const hostPort = z
  .string()
  .regex(/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'expected HOST:PORT like 127.0.0.1:9464')
  .refine((value) => Number(value.slice(value.lastIndexOf(':') + 1)) <= 65_535, 'the port must be at most 65535');

export const telemetryEnvSchema = z.object({
  /** `json`: one JSON object per log line (pino); `text` (default): the SDK's own text lines. */
  PATCHCTL_LOG_FORMAT: z.enum(['text', 'json'], { message: 'must be text or json' }).default('text'),
  /** Serve Prometheus metrics (SDK and patchctl) at http://HOST:PORT/metrics. Off when unset. */
  PATCHCTL_METRICS_LISTEN: hostPort.optional(),
});

export interface TelemetrySettings {
  level: LogLevel;
  format: 'text' | 'json';
  metricsListen?: string;
}

/** The settings from the environment; a bad value is refused naming the variable, the value and what was expected. */
export function telemetrySettings(env: NodeJS.ProcessEnv, level: LogLevel): TelemetrySettings {
  const parsed = telemetryEnvSchema.safeParse(env);
  if (!parsed.success) {
    const problem = parsed.error.issues[0]!;
    const name = String(problem.path[0]);
    throw new Error(`${name}: ${problem.message}, got "${env[name]}"`);
  }
  return { level, format: parsed.data.PATCHCTL_LOG_FORMAT, ...(parsed.data.PATCHCTL_METRICS_LISTEN ? { metricsListen: parsed.data.PATCHCTL_METRICS_LISTEN } : {}) };
}

/** Temporal's Logger interface over pino: SDK, workflow and activity logs, and the core's forwarded ones. */
export function pinoTemporalLogger(level: LogLevel, destination?: Writable): Logger {
  const base = pino({ level: level.toLowerCase(), base: { service: 'patchctl-worker' }, timestamp: pino.stdTimeFunctions.isoTime }, destination ?? pino.destination(2));
  const write = (lvl: LogLevel, message: string, meta?: LogMetadata) => {
    const method = lvl === 'TRACE' ? 'trace' : lvl === 'DEBUG' ? 'debug' : lvl === 'INFO' ? 'info' : lvl === 'WARN' ? 'warn' : 'error';
    // Core log metadata carries bigint timestamps, which JSON cannot hold.
    const fields = meta ? Object.fromEntries(Object.entries(meta).map(([k, v]) => [k, typeof v === 'bigint' ? v.toString() : v])) : {};
    base[method](fields, message);
  };
  return {
    log: write,
    trace: (m, meta) => write('TRACE', m, meta),
    debug: (m, meta) => write('DEBUG', m, meta),
    info: (m, meta) => write('INFO', m, meta),
    warn: (m, meta) => write('WARN', m, meta),
    error: (m, meta) => write('ERROR', m, meta),
  };
}

/** What `Runtime.install` gets: the logger of the chosen format, core logs forwarded to it, and metrics when asked. */
export function runtimeOptions(settings: TelemetrySettings, logDestination?: Writable): RuntimeOptions {
  if (!LEVELS.includes(settings.level)) throw new Error(`log level must be one of ${LEVELS.join(', ')}`);
  return {
    logger: settings.format === 'json' ? pinoTemporalLogger(settings.level, logDestination) : new DefaultLogger(settings.level),
    shutdownSignals: [],
    telemetryOptions: {
      logging: { filter: { core: settings.level, other: settings.level }, forward: {} },
      ...(settings.metricsListen ? { metrics: { prometheus: { bindAddress: settings.metricsListen } } } : {}),
    },
  };
}
