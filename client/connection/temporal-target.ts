import { loadClientConnectConfig, type ClientConnectConfig } from '@temporalio/envconfig';
import { readLiveDevInfo } from '../dev-stack/dev-info';
import { badInput } from '../errors';
import { loadEnv, noStack } from './stack';

/**
 * patchctl's own names from before it used Temporal's environment configuration, mapped to the
 * standard ones. Accepted for one release (0.x); the standard name wins when both are set.
 */
export const TEMPORAL_ENV_ALIASES: Readonly<Record<string, string>> = {
  TEMPORAL_TLS_CERT_PATH: 'TEMPORAL_TLS_CLIENT_CERT_PATH',
  TEMPORAL_TLS_KEY_PATH: 'TEMPORAL_TLS_CLIENT_KEY_PATH',
  TEMPORAL_TLS_CA_PATH: 'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
};

/** What the client and the worker connect with, besides the address (envconfig's shape). */
export type TemporalConnectExtras = Pick<ClientConnectConfig['connectionOptions'], 'apiKey' | 'tls' | 'metadata'>;

export interface TemporalTarget {
  address: string;
  namespace: string;
  taskQueue: string;
  /** Where the address came from, for messages: the environment / a profile, or a running `patchctl dev`. */
  source: 'env' | 'dev';
  connection: TemporalConnectExtras;
}

type Tls = TemporalConnectExtras['tls'];

// envconfig reads PEM files as Uint8Array; the gRPC client of @temporalio/client insists on Buffers.
function asBuffers(tls: Tls): Tls {
  if (!tls || typeof tls !== 'object') return tls;
  const buf = (b: Uint8Array | undefined) => (b === undefined ? undefined : Buffer.from(b));
  const pair = tls.clientCertPair;
  return {
    ...tls,
    serverRootCACertificate: buf(tls.serverRootCACertificate),
    clientCertPair: pair ? { crt: Buffer.from(pair.crt), key: Buffer.from(pair.key) } : undefined,
  };
}

/** The environment with the old names copied to the standard ones (standard names win). */
export function withStandardNames(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) out[key] = value;
  for (const [old, standard] of Object.entries(TEMPORAL_ENV_ALIASES)) {
    if (out[old] !== undefined && out[standard] === undefined) out[standard] = out[old];
  }
  return out;
}

/**
 * Temporal to talk to, for commands and the worker alike: Temporal's environment configuration
 * (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*, TEMPORAL_PROFILE and the
 * TOML file of TEMPORAL_CONFIG_FILE or the default location), else the running dev stack of `cwd`.
 */
export function resolveTemporalTarget(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): TemporalTarget {
  const parsed = loadEnv(env);
  let config: ReturnType<typeof loadClientConnectConfig>;
  try {
    config = loadClientConnectConfig({ overrideEnvVars: withStandardNames(env) });
  } catch (err) {
    const message = (err as Error).message;
    throw badInput(
      `the Temporal connection settings cannot be loaded: ${message}`,
      'check TEMPORAL_PROFILE, the TOML file (TEMPORAL_CONFIG_FILE) and that every TEMPORAL_TLS_*_PATH names a readable PEM file',
    );
  }
  const { address, apiKey, tls, metadata } = config.connectionOptions;
  const connection: TemporalConnectExtras = { apiKey, tls: asBuffers(tls), metadata };
  if (address) {
    return { address, namespace: config.namespace ?? parsed.TEMPORAL_NAMESPACE, taskQueue: parsed.TEMPORAL_TASK_QUEUE, source: 'env', connection };
  }
  const dev = readLiveDevInfo(cwd, env);
  if (!dev) noStack(cwd);
  return { address: dev.temporalAddress, namespace: dev.namespace, taskQueue: dev.taskQueue, source: 'dev', connection: {} };
}
