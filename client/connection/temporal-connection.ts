import { Client, Connection } from '@temporalio/client';
import type { PatchctlEnv } from '../../config/env-schema';
import { CodecKeyError, createDataConverter } from '../../activities/codec/codec-keys';
import { badInput, START_STACK_FIX } from '../errors';
import { loadEnv } from './stack';
import type { TemporalTarget } from './temporal-target';

export { resolveTemporalTarget, type TemporalTarget } from './temporal-target';

type Target = Pick<TemporalTarget, 'address' | 'namespace'> & Partial<Pick<TemporalTarget, 'connection'>>;

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
export async function connectClient(target: Target, env?: PatchctlEnv): Promise<Client> {
  const dataConverter = clientDataConverter(env ?? loadEnv());
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...target.connection, address: target.address });
  } catch (err) {
    if (err instanceof Error && /failed to connect|UNAVAILABLE|ECONNREFUSED/i.test(err.message)) {
      throw badInput(`cannot reach the Temporal server at ${target.address}: ${err.message}`, START_STACK_FIX);
    }
    throw err;
  }
  return new Client({ connection, namespace: target.namespace, dataConverter });
}

/** Runs `fn` with a connected client and always closes the connection afterwards. */
export async function withClient<T>(target: Target, fn: (client: Client) => Promise<T>, env?: PatchctlEnv): Promise<T> {
  const client = await connectClient(target, env);
  try {
    return await fn(client);
  } finally {
    await client.connection.close();
  }
}
