import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { historyFromJSON, historyToJSON, JSONToPayload, payloadToJSON, type History, type JSONPayload } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';

// Encrypts whole payloads (metadata included) so hostnames, owners and ePHI tags in workflow inputs,
// activity results and query answers reach Temporal only as ciphertext. Codecs run in the worker and
// client processes, never inside the workflow sandbox, so node:crypto is fine here.

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
export const CODEC_KEYS_VAR = 'PATCHCTL_CODEC_KEYS';
export const CODEC_KEYS_FILE_VAR = 'PATCHCTL_CODEC_KEYS_FILE';

const ALGORITHM = 'aes-256-gcm';
/**
 * Authenticated with every payload besides its key id: a ciphertext made with the same key for
 * another purpose (or by another tool sharing the key) never decrypts as a Temporal payload.
 */
const PURPOSE = 'patchctl/temporal-payload/v1';
const aad = (keyId: string): Buffer => Buffer.from(`${PURPOSE}\u0000${keyId}`, 'utf8');
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const KEY_BYTES = 32;

export interface CodecKey {
  /** Travels in clear text in the payload metadata: it names the key, it is never the key. */
  id: string;
  key: Buffer;
}

/** A payload this process cannot decrypt: wrong or missing key, or altered ciphertext. */
export class PayloadDecryptionError extends Error {
  constructor(
    message: string,
    readonly keyId: string | undefined,
  ) {
    super(message);
    this.name = 'PayloadDecryptionError';
  }
}

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

function metadataText(payload: Payload, key: string): string | undefined {
  const value = payload.metadata?.[key];
  return value ? textDecoder.decode(value) : undefined;
}

export function isEncryptedPayload(payload: Payload): boolean {
  return metadataText(payload, 'encoding') === ENCRYPTED_ENCODING;
}

export interface AesGcmCodecOptions {
  /** Where the keys came from, for the message that tells the user how to add a missing one. */
  keySource?: string;
}

/**
 * AES-256-GCM payload codec with key rotation: the first key encrypts, every key decrypts, and each
 * payload names the key that sealed it. The key id is bound as additional authenticated data, so a
 * payload relabelled with another id fails authentication instead of decrypting to garbage.
 */
export class AesGcmPayloadCodec implements PayloadCodec {
  private readonly current: CodecKey;
  private readonly byId: ReadonlyMap<string, Buffer>;
  private readonly keySource: string;

  constructor(keys: readonly CodecKey[], options: AesGcmCodecOptions = {}) {
    const [first] = keys;
    if (!first) throw new Error('AesGcmPayloadCodec needs at least one key');
    for (const k of keys) {
      if (k.key.length !== KEY_BYTES) throw new Error(`codec key "${k.id}" must be ${KEY_BYTES} bytes, got ${k.key.length}`);
    }
    this.current = first;
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
    this.keySource = options.keySource ?? CODEC_KEYS_VAR;
  }

  /** The id new payloads are encrypted with. */
  get currentKeyId(): string {
    return this.current.id;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.encrypt(payload));
  }

  // Once keys are set nothing is taken in clear text: a payload a keyless CLI or worker wrote (or
  // someone injected through the UI) is refused, not quietly accepted beside the encrypted ones.
  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (isEncryptedPayload(payload)) return this.decrypt(payload);
      const encoding = metadataText(payload, 'encoding') ?? 'no encoding';
      throw new PayloadDecryptionError(
        `payload is not encrypted (${encoding}), but ${this.keySource} is set: it was written by a CLI or worker without keys; ` +
          `set the same PATCHCTL_CODEC_KEYS on every worker and CLI (the histories replayed from tests/replay or an evidence bundle are decrypted already and need no codec)`,
        undefined,
      );
    });
  }

  private encrypt(payload: Payload): Payload {
    const plain = temporal.api.common.v1.Payload.encode(payload).finish();
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.current.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(aad(this.current.id));
    const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    return {
      metadata: {
        encoding: textEncoder.encode(ENCRYPTED_ENCODING),
        [KEY_ID_METADATA]: textEncoder.encode(this.current.id),
      },
      data: sealed,
    };
  }

  private decrypt(payload: Payload): Payload {
    const keyId = metadataText(payload, KEY_ID_METADATA);
    if (!keyId) {
      throw new PayloadDecryptionError(`an encrypted payload carries no "${KEY_ID_METADATA}" metadata, so its key cannot be chosen`, undefined);
    }
    const key = this.byId.get(keyId);
    if (!key) {
      const known = [...this.byId.keys()].join(', ');
      throw new PayloadDecryptionError(
        `payload was encrypted with codec key id "${keyId}", which is not in ${this.keySource} (known ids: ${known}); ` +
          `add "${keyId}:<base64 key>" to ${this.keySource} after the current key (older keys stay listed so old histories still decrypt)`,
        keyId,
      );
    }
    const sealed = Buffer.from(payload.data ?? new Uint8Array());
    if (sealed.length < IV_BYTES + TAG_BYTES) {
      throw new PayloadDecryptionError(`payload encrypted with codec key id "${keyId}" is truncated (${sealed.length} bytes)`, keyId);
    }
    const iv = sealed.subarray(0, IV_BYTES);
    const tag = sealed.subarray(sealed.length - TAG_BYTES);
    const body = sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES);
    const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad(keyId));
    decipher.setAuthTag(tag);
    let plain: Buffer;
    try {
      plain = Buffer.concat([decipher.update(body), decipher.final()]);
    } catch {
      throw new PayloadDecryptionError(
        `payload encrypted with codec key id "${keyId}" failed authentication: it was altered, or ${this.keySource} holds a different key under that id`,
        keyId,
      );
    }
    const decoded = temporal.api.common.v1.Payload.decode(plain);
    return { metadata: decoded.metadata, data: decoded.data };
  }
}

function isJsonPayload(value: unknown): value is JSONPayload {
  if (value === null || typeof value !== 'object') return false;
  const metadata = (value as { metadata?: unknown }).metadata;
  return metadata !== null && typeof metadata === 'object' && typeof (metadata as Record<string, unknown>).encoding === 'string';
}

const ENCRYPTED_ENCODING_B64 = Buffer.from(ENCRYPTED_ENCODING).toString('base64');

/**
 * Decrypts every encrypted payload inside a proto-JSON document (a history as `temporal workflow
 * show --output json` or `historyToJSON` prints it). Evidence export and replay read histories raw
 * from the server, where the SDK's client-side decoding never happens.
 */
export async function decodeProtoJson(doc: unknown, codec: PayloadCodec): Promise<unknown> {
  if (Array.isArray(doc)) return Promise.all(doc.map((item) => decodeProtoJson(item, codec)));
  if (doc === null || typeof doc !== 'object') return doc;
  if (isJsonPayload(doc) && doc.metadata?.encoding === ENCRYPTED_ENCODING_B64) {
    const [plain] = await codec.decode([JSONToPayload(doc)]);
    return payloadToJSON(plain as Payload);
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(doc)) out[key] = await decodeProtoJson(value, codec);
  return out;
}

/** A copy of the history with every encrypted payload decrypted (for export and replay). */
export async function decodeHistory(history: History, codec: PayloadCodec): Promise<History> {
  return historyFromJSON(await decodeProtoJson(JSON.parse(historyToJSON(history)), codec));
}
