import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { approvalLinkSettings } from '../../activities/shared/send-notice';
import { handleCliError } from '../../client/errors';
import { buildProgram } from '../../client/main';
import { loadApprovalPageSigner } from '../../client/web/approval-signer';
import { redactToken } from '../../client/web/web-server';
import { approvalLinkParagraph, gateBreached, personalMessageId, promotionRequest } from '../../domain/notices';

async function run(args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  try {
    await buildProgram().parseAsync(args, { from: 'user' });
    return { code: 0, stderr };
  } catch (err) {
    return { code: handleCliError(err, { json: false, stderr: (t) => (stderr += t), stdout: () => undefined }), stderr };
  }
}

function keyFile(mode: number, kind: 'ed25519' | 'x25519' = 'ed25519'): string {
  const file = join(mkdtempSync(join(tmpdir(), 'patchctl-web-key-')), 'page.key.pem');
  writeFileSync(file, generateKeyPairSync(kind as 'ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), { mode });
  return file;
}

describe('patchctl web settings', () => {
  it('refuses a bad listen address and public URL with the variable, the value and what was expected (exit 2)', async () => {
    const listen = await run(['web', '--listen', 'everywhere', '--key-file', '/nonexistent']);
    expect(listen.code).toBe(2);
    expect(listen.stderr).toContain('PATCHCTL_WEB_LISTEN');
    expect(listen.stderr).toContain('must be host:port');
    const url = await run(['web', '--public-url', 'ftp://approve.example', '--key-file', '/nonexistent']);
    expect(url.code).toBe(2);
    expect(url.stderr).toContain('PATCHCTL_WEB_PUBLIC_URL');
  });

  it('refuses a key file other users can read, and a key that is not Ed25519', () => {
    expect(() => loadApprovalPageSigner(keyFile(0o644))).toThrow(/readable by other users \(mode 0644\)/);
    expect(() => loadApprovalPageSigner(keyFile(0o600, 'x25519'))).toThrow(/not Ed25519/);
    expect(loadApprovalPageSigner(keyFile(0o600)).publicKeyPem).toContain('BEGIN PUBLIC KEY');
  });

  it('gives workers link settings only when a public URL is set, with the TTL bounded', () => {
    expect(approvalLinkSettings({})).toBeUndefined();
    expect(approvalLinkSettings({ PATCHCTL_WEB_PUBLIC_URL: 'https://approve.msp.example' })).toEqual({ publicUrl: 'https://approve.msp.example', ttlMs: 86_400_000 });
    expect(() => approvalLinkSettings({ PATCHCTL_WEB_PUBLIC_URL: 'https://a.example', PATCHCTL_APPROVAL_LINK_TTL: '30d' })).toThrow(/between 5m and 7d/);
  });

  it('keeps tokens out of request logs', () => {
    expect(redactToken('/approve/abcDEF_-123/decide')).toBe('/approve/<token>/decide');
  });
});

describe('decision notices', () => {
  it('name the decision they ask for, so the notice activity can mail each person their own link', () => {
    expect(promotionRequest('cycle/c/x', 'pilot', ['a@x.test'], 'policy').decision).toEqual({ kind: 'promotion', subject: 'pilot' });
    expect(gateBreached('cycle/c/x', 'canary', 1, ['a@x.test'], 'r', 'T-1', '2026-12-02T10:00:00Z').decision).toEqual({ kind: 'gate', subject: 'canary', pendingUntil: '2026-12-02T10:00:00Z' });
    expect(personalMessageId('<cycle.c.x.promotion.pilot@patchctl>', 'a@x.test')).toBe('<cycle.c.x.promotion.pilot.to.a.x.test@patchctl>');
    expect(approvalLinkParagraph('https://p.example/approve/t', '2026-12-03T00:00:00.000Z')).toContain('https://p.example/approve/t');
  });
});
