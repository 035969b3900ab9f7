import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DataConverter } from '@temporalio/common';
import { z } from 'zod';
import { repoRoot } from '../../config/repo-root';
import { AesGcmPayloadCodec, CODEC_KEYS_FILE_VAR, CODEC_KEYS_VAR, KEY_BYTES, type CodecKey } from './payload-codec';

// Keys come only from the environment or a file it names, never from policy or workflow input.
// `id1:base64,id2:base64`: the first key encrypts, all of them decrypt. Rotating = putting a new key
// first and keeping the old ones listed until no history that needs them is still read.

export type CodecEnv = { PATCHCTL_CODEC_KEYS?: string; PATCHCTL_CODEC_KEYS_FILE?: string };

/** A codec key setting that cannot be used; the message names the variable and what it expects. */
export class CodecKeyError extends Error {
  constructor(
    message: string,
    readonly variable: string,
    readonly fix: string,
  ) {
    super(message);
    this.name = 'CodecKeyError';
  }
}

const FORMAT = 'comma-separated "id:base64key" entries, e.g. "2026-q1:<44 base64 characters>"';
const GENERATE = `generate a key with \`openssl rand -base64 ${KEY_BYTES}\``;

// The value is a secret: messages describe it (position, id, length) and never repeat it.
const entrySchema = z
  .string()
  .transform((text, ctx) => {
    const colon = text.indexOf(':');
    if (colon < 0) {
      ctx.addIssue({ code: 'custom', message: 'has no ":" between key id and key' });
      return z.NEVER;
    }
    return { id: text.slice(0, colon).trim(), encoded: text.slice(colon + 1).trim() };
  })
  .pipe(
    z.object({
      id: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'key id must be 1-64 letters, digits, ".", "_" or "-"'),
      encoded: z.string().superRefine((b64, ctx) => {
        if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) {
          ctx.addIssue({ code: 'custom', message: 'key must be standard base64' });
          return;
        }
        const bytes = Buffer.from(b64, 'base64').length;
        if (bytes !== KEY_BYTES) ctx.addIssue({ code: 'custom', message: `key must decode to exactly ${KEY_BYTES} bytes (AES-256), got ${bytes} bytes` });
      }),
    }),
  );

/** Parses the key list; `variable` is the name shown in errors (the env var or the file's variable). */
export function parseCodecKeys(text: string, variable: string): CodecKey[] {
  const entries = text.split(/[,\n]/).map((e) => e.trim()).filter((e) => e.length > 0 && !e.startsWith('#'));
  if (entries.length === 0) throw new CodecKeyError(`${variable} is set but holds no key; expected ${FORMAT}`, variable, `${GENERATE}, or unset ${variable}`);
  const keys: CodecKey[] = [];
  entries.forEach((entry, i) => {
    const parsed = entrySchema.safeParse(entry);
    const position = `entry ${i + 1}`;
    if (!parsed.success) {
      const colon = entry.indexOf(':');
      const label = colon > 0 ? `${position} ("${entry.slice(0, colon).trim()}")` : position;
      const reasons = parsed.error.issues.map((issue) => issue.message).join('; ');
      throw new CodecKeyError(`${variable} ${label}: ${reasons}; expected ${FORMAT}`, variable, GENERATE);
    }
    if (keys.some((k) => k.id === parsed.data.id)) {
      throw new CodecKeyError(`${variable} ${position}: key id "${parsed.data.id}" is listed twice; each id must name one key`, variable, 'give the new key a new id');
    }
    keys.push({ id: parsed.data.id, key: Buffer.from(parsed.data.encoded, 'base64') });
  });
  return keys;
}

export interface LoadedCodecKeys {
  keys: CodecKey[];
  /** `PATCHCTL_CODEC_KEYS`, or `PATCHCTL_CODEC_KEYS_FILE (path)`: where to add a missing key. */
  source: string;
}

/** The configured keys, or undefined when payload encryption is off (neither variable set). */
export function loadCodecKeys(env: CodecEnv): LoadedCodecKeys | undefined {
  const inline = env.PATCHCTL_CODEC_KEYS;
  const file = env.PATCHCTL_CODEC_KEYS_FILE;
  if (inline && file) {
    throw new CodecKeyError(`${CODEC_KEYS_VAR} and ${CODEC_KEYS_FILE_VAR} are both set; expected one of them`, CODEC_KEYS_VAR, `unset ${CODEC_KEYS_VAR} or ${CODEC_KEYS_FILE_VAR}`);
  }
  if (inline) return { keys: parseCodecKeys(inline, CODEC_KEYS_VAR), source: CODEC_KEYS_VAR };
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new CodecKeyError(
        `${CODEC_KEYS_FILE_VAR}=${file} cannot be read: ${(err as Error).message}`,
        CODEC_KEYS_FILE_VAR,
        `point ${CODEC_KEYS_FILE_VAR} at a readable file of ${FORMAT}`,
      );
    }
    const source = `${CODEC_KEYS_FILE_VAR} (${file})`;
    return { keys: parseCodecKeys(text, source), source };
  }
  return undefined;
}

/** The payload codec for this environment, or undefined when no keys are configured. */
export function createPayloadCodec(env: CodecEnv): AesGcmPayloadCodec | undefined {
  const loaded = loadCodecKeys(env);
  return loaded ? new AesGcmPayloadCodec(loaded.keys, { keySource: loaded.source }) : undefined;
}

/**
 * The failure converter that encodes messages and stack traces (failure-converter.cjs). Beside this
 * file in the sources; `npm run build` copies it into dist/ and bundles it into the workflow bundle.
 */
export function failureConverterPath(): string {
  const beside = join(__dirname, 'failure-converter.cjs');
  return existsSync(beside) ? beside : join(repoRoot(), 'activities', 'codec', 'failure-converter.cjs');
}

/**
 * For Worker.create and new Client: the same converter on both sides, or undefined (plain payloads).
 * With keys, failures are encoded as well: otherwise their messages would be the one clear text left.
 */
export function createDataConverter(env: CodecEnv): DataConverter | undefined {
  const codec = createPayloadCodec(env);
  return codec ? { payloadCodecs: [codec], failureConverterPath: failureConverterPath() } : undefined;
}
