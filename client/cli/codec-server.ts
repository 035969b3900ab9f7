import type { Command } from 'commander';
import type { DevInfo } from '../dev-stack/dev-info';
import { defineCommand } from './define-command';
import { option, type SchemaKit } from './option-spec';
import { info } from './output';

/** The browser reaches the dev UI as localhost or 127.0.0.1; both are distinct origins. */
function devUiOrigins(dev: DevInfo | undefined): string[] {
  if (!dev) return [];
  const ui = new URL(dev.uiUrl);
  const twin = new URL(dev.uiUrl);
  twin.hostname = ui.hostname === '127.0.0.1' ? 'localhost' : ui.hostname === 'localhost' ? '127.0.0.1' : ui.hostname;
  return [...new Set([ui.origin, twin.origin])];
}

const originSchema = ({ z }: SchemaKit) => z.string().refine((value) => {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value.replace(/\/$/, '');
  } catch {
    return false;
  }
}, 'must be an origin like http://localhost:8233 (scheme, host and port, no path)');

export function codecServerCommand(): Command {
  return defineCommand({
    name: 'codec-server',
    description: 'serve the payload codec over HTTP so the Temporal UI and `temporal --codec-endpoint` show decrypted payloads',
    options: {
      port: option('--port <n>', 'port to listen on', ({ z }) => z.coerce.number().int().min(0).max(65535), { default: '8081' }),
      host: option('--host <address>', 'address to bind; anyone who can reach it can decrypt payloads', ({ z }) => z.string().min(1), { default: '127.0.0.1' }),
      corsOrigin: option('--cors-origin <url>', 'Temporal UI origin allowed to call it (repeatable; default: the UI of `patchctl dev` in this directory)', (kit) => kit.z.array(originSchema(kit)), { repeatable: true }),
    },
    run: async (opts) => {
      const [{ CodecKeyError, createPayloadCodec }, { startCodecServer }, { waitForStop }, { badInput }, { loadEnv }] = await Promise.all([
        import('../../activities/codec/codec-keys.js'),
        import('../web/codec-server.js'),
        import('../dev-stack/stop-signal.js'),
        import('../errors.js'),
        import('../connection/stack.js'),
      ]);
      const { readLiveDevInfo } = (await import('../dev-stack/dev-info.js'));
      const env = loadEnv();
      let codec;
      try {
        codec = createPayloadCodec(env);
      } catch (err) {
        if (err instanceof CodecKeyError) throw badInput(err.message, err.fix);
        throw err;
      }
      if (!codec) {
        throw badInput('no payload encryption keys are configured', 'set PATCHCTL_CODEC_KEYS (id:base64key,…) or PATCHCTL_CODEC_KEYS_FILE to the keys the workers use');
      }
      const corsOrigins = (opts.corsOrigin ?? devUiOrigins(readLiveDevInfo())).map((o) => o.replace(/\/$/, ''));
      const server = await startCodecServer({ codec, namespace: env.TEMPORAL_NAMESPACE, host: opts.host, port: opts.port, corsOrigins });
      info(`patchctl codec-server: ${server.url} (namespace ${env.TEMPORAL_NAMESPACE}, encrypting with key id ${codec.currentKeyId}); Ctrl-C stops it`);
      info(corsOrigins.length > 0 ? `  browser origins allowed: ${corsOrigins.join(', ')}` : '  no browser origin allowed: pass --cors-origin <Temporal UI URL> for the UI');
      info(`  Temporal UI: set its codec endpoint to ${server.url}; CLI: temporal workflow show --codec-endpoint ${server.url} …`);
      await waitForStop(new Promise<string>(() => undefined));
      await server.close();
    },
  });
}
