import { join } from 'node:path';
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
      host: option('--host <address>', 'address to bind; keep it on loopback (anyone holding the token can decrypt payloads)', ({ z }) => z.string().min(1), { default: '127.0.0.1' }),
      tokenFile: option('--token-file <file>', 'bearer token callers must send (default: .patchctl/codec-server.token, created 0600 when missing; refused when others can read it)', ({ z }) => z.string().min(1)),
      allowEncode: option('--allow-encode', 'serve /encode too (off: whoever encodes can write payloads the workers accept)', ({ z }) => z.boolean()),
      allowHost: option('--allow-host <name>', 'a Host name besides 127.0.0.1, localhost and ::1 that requests may name, e.g. behind a proxy (repeatable)', ({ z }) => z.array(z.string().regex(/^[A-Za-z0-9.-]+$/, 'must be a host name')), { repeatable: true }),
      corsOrigin: option('--cors-origin <url>', 'Temporal UI origin allowed to call it (repeatable; default: the UI of `patchctl dev` in this directory)', (kit) => kit.z.array(originSchema(kit)), { repeatable: true }),
    },
    run: async (opts) => {
      const [{ CodecKeyError, createPayloadCodec }, { readSecretFile, SecretFileError }, { stateDir }, { startCodecServer }, { waitForStop }, { badInput }, { loadEnv }] = await Promise.all([
        import('../../activities/codec/codec-keys.js'),
        import('../../activities/codec/secret-file.js'),
        import('../dev-stack/dev-info.js'),
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
      const tokenFile = opts.tokenFile ?? join(stateDir(), 'codec-server.token');
      let token;
      try {
        token = readSecretFile(tokenFile, { create: opts.tokenFile === undefined, what: 'codec server token' });
      } catch (err) {
        if (err instanceof SecretFileError) throw badInput(err.message, err.fix);
        throw err;
      }
      const server = await startCodecServer({
        codec,
        namespace: env.TEMPORAL_NAMESPACE,
        host: opts.host,
        port: opts.port,
        corsOrigins,
        token: token.secret,
        allowEncode: opts.allowEncode,
        allowedHosts: opts.allowHost,
      });
      info(`patchctl codec-server: ${server.url} (namespace ${env.TEMPORAL_NAMESPACE}, encrypting with key id ${codec.currentKeyId}); Ctrl-C stops it`);
      info(corsOrigins.length > 0 ? `  browser origins allowed: ${corsOrigins.join(', ')}` : '  no browser origin allowed: pass --cors-origin <Temporal UI URL> for the UI');
      info(`  bearer token: ${token.created ? 'created in' : 'from'} ${tokenFile}; /encode ${opts.allowEncode ? 'on (--allow-encode)' : 'off'}`);
      info(`  CLI: temporal workflow show --codec-endpoint ${server.url} --codec-auth "Bearer $(cat ${tokenFile})" …`);
      await waitForStop(new Promise<string>(() => undefined));
      await server.close();
    },
  });
}
