import { createCipheriv, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { afterAll, describe, expect, it } from 'vitest';
import { CodecKeyError, createDataConverter, loadCodecKeys, parseCodecKeys } from '../../activities/codec/codec-keys';
import { AesGcmPayloadCodec, decodeProtoJson, PayloadDecryptionError } from '../../activities/codec/payload-codec';
import { payloadToJSON } from '@temporalio/common/lib/proto-utils';
import { decodeOptionalFailureToOptionalError, encodeErrorToFailure } from '@temporalio/common/lib/internal-non-workflow/codec-helpers';
import { loadDataConverter } from '@temporalio/common/lib/internal-non-workflow/data-converter-helpers';
import { temporal } from '@temporalio/proto';

const key = (): string => randomBytes(32).toString('base64');
const OLD = key();
const NEW = key();
const ASSET = { hostname: 'riverside-srv-0007', owner: 'it@riverside.example', ephi: true, tags: ['ephi', 'ehr'] };

function codecFrom(keys: string): AesGcmPayloadCodec {
  const loaded = loadCodecKeys({ PATCHCTL_CODEC_KEYS: keys });
  if (!loaded) throw new Error('no keys');
  return new AesGcmPayloadCodec(loaded.keys, { keySource: loaded.source });
}

const toPayload = (value: unknown): Payload => defaultPayloadConverter.toPayload(value);
const fromPayload = (payload: Payload): unknown => defaultPayloadConverter.fromPayload(payload);
const text = (payload: Payload): string => Buffer.from(payload.data ?? []).toString('latin1') + JSON.stringify(payload.metadata);

describe('AesGcmPayloadCodec', () => {
  it('round-trips payloads and leaves no asset name or ePHI tag in the encoded bytes', async () => {
    const codec = codecFrom(`k1:${NEW}`);
    const [encoded] = await codec.encode([toPayload(ASSET)]);
    expect(Buffer.from(encoded!.metadata!.encoding!).toString()).toBe('binary/encrypted');
    expect(Buffer.from(encoded!.metadata!['encryption-key-id']!).toString()).toBe('k1');
    expect(text(encoded!)).not.toContain('riverside');
    expect(text(encoded!)).not.toContain('ephi');
    expect(text(encoded!)).not.toContain('json/plain');
    const [decoded] = await codec.decode([encoded!]);
    expect(fromPayload(decoded!)).toEqual(ASSET);
    expect(Buffer.from(decoded!.metadata!.encoding!).toString()).toBe('json/plain');
  });

  it('uses a fresh IV for every payload', async () => {
    const codec = codecFrom(`k1:${NEW}`);
    const [a, b] = await codec.encode([toPayload(ASSET), toPayload(ASSET)]);
    expect(Buffer.from(a!.data!).equals(Buffer.from(b!.data!))).toBe(false);
  });

  it('decrypts data sealed with an old key while the old key is still listed second (rotation)', async () => {
    const before = codecFrom(`2025-q4:${OLD}`);
    const [sealedWithOld] = await before.encode([toPayload(ASSET)]);
    const rotated = codecFrom(`2026-q1:${NEW},2025-q4:${OLD}`);
    expect(rotated.currentKeyId).toBe('2026-q1');
    const [decoded] = await rotated.decode([sealedWithOld!]);
    expect(fromPayload(decoded!)).toEqual(ASSET);
    const [sealedWithNew] = await rotated.encode([toPayload(ASSET)]);
    expect(Buffer.from(sealedWithNew!.metadata!['encryption-key-id']!).toString()).toBe('2026-q1');
  });

  it('names the unknown key id and the variable to fix when a key was dropped too early', async () => {
    const [sealedWithOld] = await codecFrom(`2025-q4:${OLD}`).encode([toPayload(ASSET)]);
    const decode = codecFrom(`2026-q1:${NEW}`).decode([sealedWithOld!]);
    await expect(decode).rejects.toBeInstanceOf(PayloadDecryptionError);
    await expect(decode).rejects.toThrow(/codec key id "2025-q4".*not in PATCHCTL_CODEC_KEYS.*known ids: 2026-q1/);
  });

  it('rejects tampered ciphertext instead of returning altered data', async () => {
    const codec = codecFrom(`k1:${NEW}`);
    const [encoded] = await codec.encode([toPayload(ASSET)]);
    const data = Buffer.from(encoded!.data!);
    data[20] = data[20]! ^ 0x01;
    await expect(codec.decode([{ ...encoded!, data }])).rejects.toThrow(/key id "k1" failed authentication/);
  });

  it('rejects a payload relabelled with another key id (the id is authenticated)', async () => {
    const codec = codecFrom(`a:${NEW},b:${NEW}`);
    const [encoded] = await codec.encode([toPayload(ASSET)]);
    const relabelled = { ...encoded!, metadata: { ...encoded!.metadata, 'encryption-key-id': Buffer.from('b') } };
    await expect(codec.decode([relabelled])).rejects.toThrow(/key id "b" failed authentication/);
  });

  it('refuses a plaintext payload once keys are set, naming the fix (a CLI or worker without keys wrote it)', async () => {
    const codec = codecFrom(`k1:${NEW}`);
    const decode = codec.decode([toPayload({ hello: 'world' })]);
    await expect(decode).rejects.toBeInstanceOf(PayloadDecryptionError);
    await expect(decode).rejects.toThrow(/payload is not encrypted.*PATCHCTL_CODEC_KEYS is set.*same PATCHCTL_CODEC_KEYS on every worker and CLI/);
  });

  it('binds the purpose as well as the key id: the same key under the bare key id does not authenticate', async () => {
    const keyBytes = Buffer.from(NEW, 'base64');
    const plain = temporal.api.common.v1.Payload.encode(toPayload(ASSET)).finish();
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', keyBytes, iv, { authTagLength: 16 });
    cipher.setAAD(Buffer.from('k1'));
    const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    const sealed = { metadata: { encoding: Buffer.from('binary/encrypted'), 'encryption-key-id': Buffer.from('k1') }, data };
    await expect(codecFrom(`k1:${NEW}`).decode([sealed])).rejects.toThrow(/key id "k1" failed authentication/);
  });

  it('encodes failure messages and stack traces too, so a vendor error naming a host is ciphertext', async () => {
    const converter = loadDataConverter(createDataConverter({ PATCHCTL_CODEC_KEYS: `k1:${NEW}` }));
    const failure = await encodeErrorToFailure(converter, new Error('connect ECONNREFUSED riverside-srv-0007.clinic.example:443'));
    const bytes = Buffer.from(temporal.api.failure.v1.Failure.encode(failure).finish()).toString('latin1');
    expect(bytes).not.toContain('riverside');
    expect(failure.message).not.toContain('riverside');
    const decoded = await decodeOptionalFailureToOptionalError(converter, failure);
    expect(decoded?.message).toBe('connect ECONNREFUSED riverside-srv-0007.clinic.example:443');
  });

  it('decrypts every encrypted payload nested in a proto-JSON history document', async () => {
    const codec = codecFrom(`k1:${NEW}`);
    const [sealed] = await codec.encode([toPayload(ASSET)]);
    const doc = { events: [{ eventId: '5', activityTaskCompletedEventAttributes: { result: { payloads: [payloadToJSON(sealed!)] } } }] };
    expect(JSON.stringify(doc)).not.toContain(Buffer.from('riverside-srv-0007').toString('base64').slice(0, 12));
    const decoded = (await decodeProtoJson(doc, codec)) as typeof doc;
    const data = decoded.events[0]!.activityTaskCompletedEventAttributes.result.payloads[0]!.data!;
    expect(JSON.parse(Buffer.from(data, 'base64').toString())).toEqual(ASSET);
  });
});

describe('codec keys from the environment', () => {
  const dir = mkdtempSync(join(tmpdir(), 'patchctl-codec-keys-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('turns encryption off when neither variable is set', () => {
    expect(createDataConverter({})).toBeUndefined();
    expect(createDataConverter({ PATCHCTL_CODEC_KEYS: `k1:${NEW}` })?.payloadCodecs).toHaveLength(1);
  });

  it('reads the same list from PATCHCTL_CODEC_KEYS_FILE, one entry per line', async () => {
    const file = join(dir, 'keys');
    writeFileSync(file, `# current first\nnew:${NEW}\nold:${OLD}\n`);
    const loaded = loadCodecKeys({ PATCHCTL_CODEC_KEYS_FILE: file });
    expect(loaded?.keys.map((k) => k.id)).toEqual(['new', 'old']);
    const [sealed] = await codecFrom(`old:${OLD}`).encode([toPayload(ASSET)]);
    const codec = createDataConverter({ PATCHCTL_CODEC_KEYS_FILE: file })!.payloadCodecs![0]!;
    expect(fromPayload((await codec.decode([sealed!]))[0]!)).toEqual(ASSET);
  });

  const refusals: Array<[string, Record<string, string>, RegExp]> = [
    ['a key of the wrong length', { PATCHCTL_CODEC_KEYS: `k1:${randomBytes(16).toString('base64')}` }, /^PATCHCTL_CODEC_KEYS entry 1 \("k1"\): key must decode to exactly 32 bytes \(AES-256\), got 16 bytes/],
    ['an entry without an id', { PATCHCTL_CODEC_KEYS: `k1:${NEW},${OLD}` }, /^PATCHCTL_CODEC_KEYS entry 2: has no ":" between key id and key/],
    ['a key that is not base64', { PATCHCTL_CODEC_KEYS: 'k1:not base64!' }, /^PATCHCTL_CODEC_KEYS entry 1 \("k1"\): key must be standard base64/],
    ['a bad key id', { PATCHCTL_CODEC_KEYS: `bad id:${NEW}` }, /^PATCHCTL_CODEC_KEYS entry 1 \("bad id"\): key id must be 1-64 letters/],
    ['a duplicated id', { PATCHCTL_CODEC_KEYS: `k1:${NEW},k1:${OLD}` }, /^PATCHCTL_CODEC_KEYS entry 2: key id "k1" is listed twice/],
    ['an empty list', { PATCHCTL_CODEC_KEYS: ' , ' }, /^PATCHCTL_CODEC_KEYS is set but holds no key/],
    ['both variables', { PATCHCTL_CODEC_KEYS: `k1:${NEW}`, PATCHCTL_CODEC_KEYS_FILE: '/x' }, /PATCHCTL_CODEC_KEYS and PATCHCTL_CODEC_KEYS_FILE are both set/],
    ['an unreadable file', { PATCHCTL_CODEC_KEYS_FILE: '/nonexistent/keys' }, /^PATCHCTL_CODEC_KEYS_FILE=\/nonexistent\/keys cannot be read/],
  ];
  it.each(refusals)('refuses %s, naming the variable and what is expected', (_what, env, message) => {
    let error: unknown;
    try {
      createDataConverter(env);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CodecKeyError);
    expect((error as Error).message).toMatch(message);
  });

  it('names the key file in errors about its content, and never echoes key material', () => {
    const file = join(dir, 'short');
    const short = randomBytes(20).toString('base64');
    writeFileSync(file, `k1:${short}\n`);
    expect(() => loadCodecKeys({ PATCHCTL_CODEC_KEYS_FILE: file })).toThrow(`PATCHCTL_CODEC_KEYS_FILE (${file}) entry 1 ("k1"): key must decode to exactly 32 bytes`);
    let message = '';
    try {
      parseCodecKeys(`k1:${short}`, 'PATCHCTL_CODEC_KEYS');
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('entry 1 ("k1")');
    expect(message).not.toContain(short);
  });
});
