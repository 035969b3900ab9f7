import { readFileSync } from 'node:fs';
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import type { PatchctlEnv } from '../config/env-schema';
import { CodecKeyError, createDataConverter } from '../activities/codec/codec-keys';
import { badInput, START_STACK_FIX } from './errors';
import { loadEnv, type TemporalTarget } from './stack';

function readSecretFile(variable: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw badInput(`${variable}=${file} cannot be read: ${(err as Error).message}`, `point ${variable} at a readable PEM file`);
  }
}

/** TLS and API key for Temporal Cloud or a secured cluster, all from the environment (never from policy). */
export function connectionOptions(target: Pick<TemporalTarget, 'address'>, env: PatchctlEnv = loadEnv()): ConnectionOptions {
  const options: ConnectionOptions = { address: target.address };
  if (env.TEMPORAL_TLS_CERT_PATH && env.TEMPORAL_TLS_KEY_PATH) {
    options.tls = {
      clientCertPair: {
        crt: readSecretFile('TEMPORAL_TLS_CERT_PATH', env.TEMPORAL_TLS_CERT_PATH),
        key: readSecretFile('TEMPORAL_TLS_KEY_PATH', env.TEMPORAL_TLS_KEY_PATH),
      },
      serverRootCACertificate: env.TEMPORAL_TLS_CA_PATH ? readSecretFile('TEMPORAL_TLS_CA_PATH', env.TEMPORAL_TLS_CA_PATH) : undefined,
      serverNameOverride: env.TEMPORAL_TLS_SERVER_NAME,
    };
  } else if (env.TEMPORAL_TLS_CA_PATH || env.TEMPORAL_TLS_SERVER_NAME) {
    options.tls = {
      serverRootCACertificate: env.TEMPORAL_TLS_CA_PATH ? readSecretFile('TEMPORAL_TLS_CA_PATH', env.TEMPORAL_TLS_CA_PATH) : undefined,
      serverNameOverride: env.TEMPORAL_TLS_SERVER_NAME,
    };
  }
  if (env.TEMPORAL_API_KEY) {
    options.apiKey = env.TEMPORAL_API_KEY;
    // API keys are only accepted over TLS.
    options.tls ??= true;
  }
  return options;
}

/** The payload codec of PATCHCTL_CODEC_KEYS(_FILE), so commands read and write what the workers encrypt. */
function clientDataConverter(env: PatchctlEnv): ReturnType<typeof createDataConverter> {
  try {
    return createDataConverter(env);
  } catch (err) {
    if (err instanceof CodecKeyError) throw badInput(err.message, err.fix);
    throw err;
  }
}

/** A Temporal client for the target; the caller closes it with `client.connection.close()`. */
export async function connectClient(target: Pick<TemporalTarget, 'address' | 'namespace'>, env?: PatchctlEnv): Promise<Client> {
  const dataConverter = clientDataConverter(env ?? loadEnv());
  let connection: Connection;
  try {
    connection = await Connection.connect(connectionOptions(target, env));
  } catch (err) {
    if (err instanceof Error && /failed to connect|UNAVAILABLE|ECONNREFUSED/i.test(err.message)) {
      throw badInput(`cannot reach the Temporal server at ${target.address}: ${err.message}`, START_STACK_FIX);
    }
    throw err;
  }
  return new Client({ connection, namespace: target.namespace, dataConverter });
}

/** Runs `fn` with a connected client and always closes the connection afterwards. */
export async function withClient<T>(target: Pick<TemporalTarget, 'address' | 'namespace'>, fn: (client: Client) => Promise<T>, env?: PatchctlEnv): Promise<T> {
  const client = await connectClient(target, env);
  try {
    return await fn(client);
  } finally {
    await client.connection.close();
  }
}
