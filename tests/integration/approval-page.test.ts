import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailer } from '../../activities/adapters/mail/nodemailer-mailer';
import { withSentLedger } from '../../activities/adapters/mail/sent-ledger';
import { findChromium } from '../../activities/reporting/report-pdf';
import { cycleWorkflowId } from '../../domain/ids';
import type { CycleStatus } from '../../domain/cycle/cycle-status';
import { loadApprovalPageSigner } from '../../client/web/approval-signer';
import { cycleStartFacts } from '../../domain/cycle/cycle-deciders';
import { person, signerAt } from '../support/signing';
import { buildWebServer } from '../../client/web/web-server';
import { cycleStatusQuery } from '../../workflows/cycle/messages';
import { patchCycle } from '../../workflows/cycle/patch-cycle';
import { TASK_QUEUE, advanceUntil, createCycleHarness, createTestWorker, loadTestPolicy, startTimeSkipping, type CycleHarness } from '../support/cycle-harness';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';

// The approval page as an approver meets it: the worker mails each decider their own link over real
// SMTP, headless Chromium (Debian's package) opens it, asks for the confirmation code, reads it from
// the approver's mail, decides, and the real cycle (time-skipping Temporal, real PostgreSQL) moves on.
// Expired, reused, forwarded and no-longer-pending links are refused in the same browser.

let env: TestWorkflowEnvironment;
let harness: CycleHarness;
let smtp: TestSmtpServer;
let web: FastifyInstance;
let browser: Browser;
let worker: Worker;
let stopWorker: () => void;
let running: Promise<void>;

const LEAD = 'lead@msp.test';
const OWNER = 'owner@clinic.test';
const STARTER = person('starter@msp.test');

function bodyOf(raw: string): string {
  const body = raw.slice(raw.search(/\r?\n\r?\n/));
  return /content-transfer-encoding: quoted-printable/i.test(raw)
    ? body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)))
    : body;
}

/** Every approval link mailed to this person whose subject mentions `about`, oldest first. */
function linksTo(person: string, about: string): string[] {
  return smtp.messages
    .filter((m) => m.to.includes(person) && m.raw.includes(about))
    .flatMap((m) => [...bodyOf(m.raw).matchAll(/(http:\/\/127\.0\.0\.1:\d+\/approve\/[A-Za-z0-9_-]{43})/g)].map((x) => x[1]!));
}

/** Every payload and string in a history, decoded: what anyone reading the history could see. */
function historyText(value: unknown): string {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  if (Array.isArray(value)) return value.map(historyText).join('\n');
  if (value && typeof value === 'object') return Object.values(value).map(historyText).join('\n');
  return typeof value === 'string' ? value : '';
}

function lastCodeTo(person: string): string {
  const mail = smtp.messages.filter((m) => m.to.includes(person) && m.raw.includes('Confirmation code')).at(-1);
  const code = mail && /Your confirmation code is (\d{6})/.exec(bodyOf(mail.raw))?.[1];
  if (!code) throw new Error(`no confirmation code mailed to ${person}`);
  return code;
}

async function text(page: Page): Promise<string> {
  return page.$eval('main', (el) => (el as unknown as { innerText: string }).innerText);
}

async function askForCode(page: Page): Promise<void> {
  await Promise.all([page.waitForNavigation(), page.click('button[value="code"]')]);
}

async function decide(page: Page, code: string, choice: string, reason: string): Promise<void> {
  await page.type('#code', code);
  await page.type('#reason', reason);
  await Promise.all([page.waitForNavigation(), page.click(`button[value="${choice}"]`)]);
}

beforeAll(async () => {
  env = await startTimeSkipping();
  smtp = await startSmtpServer();
  const dir = mkdtempSync(join(tmpdir(), 'patchctl-web-'));
  const keyFile = join(dir, 'approval-page.key.pem');
  const pair = generateKeyPairSync('ed25519');
  writeFileSync(keyFile, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), { mode: 0o600 });
  // The time-skipping server's clock runs ahead of ours: the page dates its signatures by it.
  const signer = loadApprovalPageSigner(keyFile, { now: async () => new Date(await env.currentTimeMs()) });

  const policy = loadTestPolicy();
  // The page signs as the delegate `approval-page` on behalf of the person its link was mailed to.
  policy.signing = { requireSignedApprovals: true, publicKeys: { [STARTER.id]: STARTER.publicKeyPem }, delegates: { 'approval-page': signer.publicKeyPem } };
  // Night Clinic's canary fails on every asset: its cycle is the one whose gate is decided on the page.
  policy.clients.find((c) => c.id === 'night-clinic')!.simulation.failingRings = ['canary'];
  harness = await createCycleHarness(policy, { clinic: 20, 'night-clinic': 12 });
  const mailer = withSentLedger(createMailer({ from: policy.msp.mailFrom, smtpUrl: smtp.url }), harness.db.pool);

  web = await buildWebServer({ db: harness.db.pool, temporal: env.client, mailer, signer, publicUrl: 'http://127.0.0.1' });
  await web.listen({ host: '127.0.0.1', port: 0 });
  const publicUrl = `http://127.0.0.1:${(web.server.address() as AddressInfo).port}`;

  harness.deps.mailer = mailer;
  harness.deps.approvalLinks = { publicUrl, ttlMs: 24 * 3_600_000 };
  worker = await createTestWorker(env, harness.deps);
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  stopWorker = stop;
  running = worker.runUntil(stopped);

  const chromium = findChromium();
  expect(chromium, 'chromium must be installed (npm run setup / .ci/run install it)').toBeDefined();
  browser = await puppeteer.launch({ executablePath: chromium, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
});

afterAll(async () => {
  await browser?.close();
  stopWorker?.();
  await running;
  await web?.close();
  await smtp?.stop();
  await harness?.cleanup();
  await env?.teardown();
});

/** Starts a cycle as the starter, who signs the start with their own key (policy requires it). */
async function startSigned(cycleName: string, clientId = 'clinic') {
  const workflowId = cycleWorkflowId(clientId, cycleName);
  const args = { clientId, cycleName, requestedBy: STARTER.id };
  const signature = signerAt(STARTER.privateKey, new Date(await env.currentTimeMs()))(cycleStartFacts(workflowId, args));
  return env.client.workflow.start(patchCycle, { taskQueue: TASK_QUEUE, workflowId, args: [{ ...args, signature }] });
}

const pendingPromotion = (ring: string) => (s: CycleStatus) => s.pending?.kind === 'promotion' && s.pending.ring === ring;

describe('the approval page', () => {
  it('takes a cycle through both promotions from the links in the mail, and refuses reused, forwarded, expired and stale links', async () => {
    const handle = await startSigned('web-1');
    await advanceUntil(env, handle, pendingPromotion('pilot'));

    // The pilot request went to the one decider (the requester may not approve), with a link of their own.
    const [pilotLink] = linksTo(LEAD, 'to pilot');
    expect(pilotLink).toBeDefined();
    expect(linksTo('starter@msp.test', 'to pilot')).toEqual([]);
    // Only the token's hash is stored, and history never holds the token.
    const token = pilotLink!.split('/').at(-1)!;
    const { rows } = await harness.db.pool.query('SELECT token_hash, person FROM approval_links');
    expect(rows).toEqual([expect.objectContaining({ person: LEAD })]);
    expect(rows[0].token_hash).not.toContain(token);
    const history = historyText(await handle.fetchHistory());
    expect(history).toContain(`Approve promotion of ${handle.workflowId} to pilot`);
    expect(history).not.toContain(token);

    const lead = await browser.newPage();
    await lead.goto(pilotLink!);
    const shown = await text(lead);
    expect(shown).toContain(`Promote ${handle.workflowId} to pilot`);
    expect(shown).toMatch(/canary\s+passed\s+3\s+3\s+3\s+0\s+0\.0 %/);
    expect(shown).toContain('SLA deadlines');
    expect(shown).toContain('Excluded assets');
    await askForCode(lead);
    expect(await text(lead)).toContain(`Confirmation code (mailed to ${LEAD})`);
    // The README's screenshot is this page; PATCHCTL_UPDATE_SCREENSHOTS=1 refreshes docs/approval-page.png.
    await lead.setViewport({ width: 900, height: 1000 });
    const screenshot = await lead.screenshot({ fullPage: true });
    expect(Buffer.from(screenshot).subarray(1, 4).toString()).toBe('PNG');
    if (process.env.PATCHCTL_UPDATE_SCREENSHOTS === '1') writeFileSync('docs/approval-page.png', screenshot);
    await decide(lead, lastCodeTo(LEAD), 'approve', 'canary clean');
    expect(await text(lead)).toContain(`recorded as ${LEAD} via the approval page`);

    // The cycle moved on, and the evidence names the page and carries its signature.
    const afterPilot = await handle.query(cycleStatusQuery);
    expect(afterPilot.rings.find((r) => r.ring === 'pilot')?.state).not.toBe('awaiting-approval');
    expect(afterPilot.decisions).toContainEqual(expect.objectContaining({ kind: 'approval', ring: 'pilot', by: LEAD, reason: 'via approval page: canary clean', signature: expect.objectContaining({ delegate: 'approval-page', message: expect.stringContaining(`"by":"${LEAD}","decision":"approve","decisionId":"promotion:pilot:`) }) }));

    // Reused: the same link again.
    await lead.goto(pilotLink!);
    expect(await lead.$eval('#refusal', (el) => el.textContent)).toContain('already used');

    await advanceUntil(env, handle, pendingPromotion('production'));
    // Nobody answers for 3 hours: the reminder brings each decider a second link.
    await env.sleep('3h');
    const [leadRequest, leadReminder] = linksTo(LEAD, 'production');
    const [ownerLink] = linksTo(OWNER, 'production');
    expect([leadRequest, leadReminder, ownerLink].every(Boolean)).toBe(true);

    // Forwarded: the owner's link opened in another browser. The code goes to the owner's mailbox,
    // and even the owner's own code does not work in a browser that did not ask for it.
    const forwardee = await (await browser.createBrowserContext()).newPage();
    await forwardee.goto(ownerLink!);
    await askForCode(forwardee);
    await decide(forwardee, '000000', 'approve', 'forwarded to me');
    expect(await text(forwardee)).toContain('does not match the one mailed to the person this link was sent to');
    const owner = await (await browser.createBrowserContext()).newPage();
    await owner.goto(ownerLink!);
    await askForCode(owner);
    const ownersCode = lastCodeTo(OWNER);
    await decide(forwardee, ownersCode, 'approve', 'forwarded with the code');
    expect(await text(forwardee)).toContain('No confirmation code was asked for in this browser');

    // Expired: the lead's reminder link outlives its expiry.
    await harness.db.pool.query("UPDATE approval_links SET expires_at = now() - interval '1 minute' WHERE person = $1 AND message_id LIKE '%reminder%'", [LEAD]);
    await lead.goto(leadReminder!);
    expect(await lead.$eval('#refusal', (el) => el.textContent)).toContain('expired');

    // The owner decides in their own browser, with their code.
    await owner.goto(ownerLink!);
    await decide(owner, ownersCode, 'approve', 'go');
    expect(await text(owner)).toContain(`recorded as ${OWNER} via the approval page`);

    // No longer pending: the lead's first production link, after the owner decided.
    await lead.goto(leadRequest!);
    expect(await lead.$eval('#refusal', (el) => el.textContent)).toContain('no longer pending');

    const result = await handle.result();
    expect(result.status).toBe('completed');
    expect(result.decisions.filter((d) => d.kind === 'approval').map((d) => [d.by, d.reason])).toEqual([
      [LEAD, 'via approval page: canary clean'],
      [OWNER, 'via approval page: go'],
    ]);
  });

  it('decides a breached gate from the link in the gate mail: the cycle rolls back', async () => {
    const handle = await startSigned('web-2', 'night-clinic');
    // Its window opens Saturday night: steps of 2h stay well inside the 4h decision timeout.
    await advanceUntil(env, handle, (s) => s.pending?.kind === 'gate' && s.pending.ring === 'canary', '2h');
    const [gateLink] = linksTo(LEAD, `canary gate breached for ${handle.workflowId}`);
    expect(gateLink).toBeDefined();
    const lead = await (await browser.createBrowserContext()).newPage();
    await lead.goto(gateLink!);
    const shown = await text(lead);
    expect(shown).toContain(`The canary gate of ${handle.workflowId} is breached`);
    expect(shown).toContain('Decide before');
    await askForCode(lead);
    await decide(lead, lastCodeTo(LEAD), 'rollback', 'canary failed');
    expect(await text(lead)).toContain(`rollback, recorded as ${LEAD} via the approval page`);
    const result = await handle.result();
    expect(result.status).toBe('rolled-back');
    expect(result.decisions).toContainEqual(expect.objectContaining({ kind: 'gate-decision', ring: 'canary', by: LEAD, decision: 'rollback', reason: 'via approval page: canary failed' }));
  });
});
