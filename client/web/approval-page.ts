import { createHash, createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Pool } from 'pg';
import { z } from 'zod';
import type { MailerPort } from '../../activities/ports';
import { approvalTokenHash } from '../../activities/shared/send-notice';
import { countWrongCode, findApprovalLink, releaseApprovalLink, setConfirmationCode, spendApprovalLink, type ApprovalLinkRow } from '../../activities/store/approval-link-store';
import { PAGE_HEADERS, decidedPage, decisionPage, refusedPage } from './approval-html';
import type { ApprovalPageSigner } from './approval-signer';
import { decisionFacts, type FactsAnswer } from './decision-facts';

// GET /approve/<token> shows the decision its link is bound to; POST …/code mails a confirmation code
// to the person the link was sent to, bound to this browser session; POST …/decide records the
// decision with that code. A forwarded link is useless without the bound person's mailbox, and a
// code is useless in any browser but the one that asked for it.

export interface ApprovalPageDeps {
  db: Pool;
  temporal: Client;
  /** Sends the confirmation codes. */
  mailer: MailerPort;
  signer: ApprovalPageSigner;
  /** Secure cookies when the public URL is https. */
  publicUrl: string;
  /** Test seam; the real clock otherwise. */
  now?: () => Date;
}

export const SESSION_COOKIE = 'patchctl_approval';
export const CODE_TTL_SECONDS = 15 * 60;
export const MAX_CODE_ATTEMPTS = 5;
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

const decideBody = z.object({
  csrf: z.string().min(1, 'missing; reload the page from the link'),
  code: z.string().regex(/^\d{6}$/, 'must be the 6-digit code from the confirmation mail'),
  choice: z.enum(['approve', 'reject', 'rollback', 'retry-failed', 'override']),
  reason: z.string().max(500, 'must be at most 500 characters').default(''),
});
const codeBody = z.object({ csrf: z.string().min(1, 'missing; reload the page from the link') });

const hash = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function readCookie(request: FastifyRequest, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

function send(reply: FastifyReply, status: number, html: string): FastifyReply {
  return reply.code(status).headers(PAGE_HEADERS).send(html);
}

function refuse(reply: FastifyReply, why: string, status: number): FastifyReply {
  const page = refusedPage(why, status);
  return send(reply, page.status, page.html);
}

/** Why a link cannot be used at all, whatever its decision's state. */
function linkProblem(link: ApprovalLinkRow | undefined, now: Date): { why: string; status: number } | undefined {
  if (!link) return { why: 'This link is not known. Links work only as mailed; check that it was copied whole.', status: 404 };
  if (link.usedAt) return { why: `This link was already used on ${link.usedAt.toISOString()} (${link.usedDecision}). Each link works once.`, status: 410 };
  if (link.supersededAt) return { why: 'This link was replaced by a newer mail; use the link in the latest mail.', status: 410 };
  if (link.expiresAt <= now) return { why: `This link expired at ${link.expiresAt.toISOString()}. Use the link of a newer mail, or decide from a terminal.`, status: 410 };
  if (link.codeAttempts >= MAX_CODE_ATTEMPTS) return { why: `Too many wrong confirmation codes were entered (${link.codeAttempts}); this link no longer works.`, status: 410 };
  return undefined;
}

async function factsOf(temporal: Client, link: ApprovalLinkRow): Promise<FactsAnswer> {
  try {
    return await decisionFacts(temporal, link);
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return { pending: false, why: 'The workflow this link was sent for no longer exists.' };
    throw error;
  }
}

export function approvalPageRoutes(deps: ApprovalPageDeps): FastifyPluginAsync {
  const now = deps.now ?? (() => new Date());
  // Per process: a restart invalidates open forms, never links or codes.
  const csrfSecret = randomBytes(32);
  const secureCookie = deps.publicUrl.startsWith('https:');
  const csrfFor = (session: string, tokenHash: string) => createHmac('sha256', csrfSecret).update(`${hash(session)}|${tokenHash}`).digest('base64url');

  return async (app) => {
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 8 * 1024 }, (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });
    app.setErrorHandler((error, request, reply) => {
      request.log.error({ err: error }, 'approval page failed');
      const status = (error as { statusCode?: number }).statusCode ?? 500;
      return refuse(reply, status < 500 ? 'The request could not be read. Reload the page from the link in the mail.' : 'The approval page could not reach the workflow service. Nothing was recorded; try again in a minute.', status < 500 ? status : 503);
    });

    /** The link, its problems, the session and its CSRF check, common to every route. */
    async function open(request: FastifyRequest<{ Params: { token: string } }>, reply: FastifyReply) {
      const token = request.params.token;
      const link = TOKEN.test(token) ? await findApprovalLink(deps.db, approvalTokenHash(token)) : undefined;
      const problem = linkProblem(link, now());
      if (problem || !link) {
        refuse(reply, problem!.why, problem!.status);
        return undefined;
      }
      return { link, token };
    }

    function sessionOf(request: FastifyRequest, reply: FastifyReply): string {
      const existing = readCookie(request, SESSION_COOKIE);
      if (existing && /^[A-Za-z0-9_-]{43}$/.test(existing)) return existing;
      const session = randomBytes(32).toString('base64url');
      reply.header('set-cookie', `${SESSION_COOKIE}=${session}; Path=/approve; HttpOnly; SameSite=Strict${secureCookie ? '; Secure' : ''}`);
      return session;
    }

    function checkCsrf(request: FastifyRequest, reply: FastifyReply, link: ApprovalLinkRow, csrf: unknown): string | undefined {
      const session = readCookie(request, SESSION_COOKIE);
      if (!session || typeof csrf !== 'string' || !sameText(csrf, csrfFor(session, link.tokenHash))) {
        refuse(reply, 'This form did not come from this page in this browser (its CSRF token does not match). Open the link from the mail again.', 403);
        return undefined;
      }
      return session;
    }

    async function render(reply: FastifyReply, link: ApprovalLinkRow, token: string, session: string, status = 200, notice?: string) {
      const answer = await factsOf(deps.temporal, link);
      if (!answer.pending) return refuse(reply, answer.why, 409);
      const codeSent = link.codeSession === hash(session) && link.codeSentAt !== null && now().getTime() - link.codeSentAt.getTime() < CODE_TTL_SECONDS * 1000;
      return send(
        reply,
        status,
        decisionPage({
          facts: answer.facts,
          person: link.person,
          linkExpiresAt: link.expiresAt.toISOString(),
          codeAction: `/approve/${token}/code`,
          decideAction: `/approve/${token}/decide`,
          csrfToken: csrfFor(session, link.tokenHash),
          codeSent,
          notice,
        }),
      );
    }

    app.get<{ Params: { token: string } }>('/approve/:token', async (request, reply) => {
      const opened = await open(request, reply);
      if (!opened) return reply;
      return render(reply, opened.link, opened.token, sessionOf(request, reply));
    });

    app.post<{ Params: { token: string } }>('/approve/:token/code', async (request, reply) => {
      const opened = await open(request, reply);
      if (!opened) return reply;
      const body = codeBody.safeParse(request.body ?? {});
      const session = checkCsrf(request, reply, opened.link, body.success ? body.data.csrf : undefined);
      if (!session) return reply;
      const answer = await factsOf(deps.temporal, opened.link);
      if (!answer.pending) return refuse(reply, answer.why, 409);
      const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
      await setConfirmationCode(deps.db, opened.link.tokenHash, hash(`${opened.link.tokenHash}|${code}`), hash(session));
      await deps.mailer.send({
        messageId: `<approval-code.${randomBytes(9).toString('base64url')}@patchctl>`,
        to: [opened.link.person],
        subject: `[patchctl] Confirmation code: ${answer.facts.title}`,
        text: `Your confirmation code is ${code}\n\nSomeone opened your approval link for "${answer.facts.title}" and asked for this code; it works for ${CODE_TTL_SECONDS / 60} minutes in that browser only.\nIf that was not you, do not pass the code on: the link was forwarded, and without the code it cannot decide anything.\n`,
      });
      return reply.redirect(`/approve/${opened.token}`, 303);
    });

    app.post<{ Params: { token: string } }>('/approve/:token/decide', async (request, reply) => {
      const opened = await open(request, reply);
      if (!opened) return reply;
      const { link, token } = opened;
      const raw = (request.body ?? {}) as Record<string, unknown>;
      const session = checkCsrf(request, reply, link, raw.csrf);
      if (!session) return reply;
      const body = decideBody.safeParse(raw);
      if (!body.success) {
        const issue = body.error.issues[0]!;
        return render(reply, link, token, session, 400, `${issue.path.join('.') || 'form'}: ${issue.message}.`);
      }
      const answer = await factsOf(deps.temporal, link);
      if (!answer.pending) return refuse(reply, answer.why, 409);
      if (!answer.facts.choices.includes(body.data.choice)) return render(reply, link, token, session, 400, `choice: "${body.data.choice}" is not a decision this link can give; expected one of ${answer.facts.choices.join(', ')}.`);
      const codeHash = hash(`${link.tokenHash}|${body.data.code}`);
      const codeLive = link.codeSession === hash(session) && link.codeSentAt !== null && now().getTime() - link.codeSentAt.getTime() < CODE_TTL_SECONDS * 1000;
      if (!codeLive || !link.codeHash || !sameText(link.codeHash, codeHash)) {
        const attempts = await countWrongCode(deps.db, link.tokenHash);
        if (attempts >= MAX_CODE_ATTEMPTS) return refuse(reply, `Too many wrong confirmation codes were entered (${attempts}); this link no longer works.`, 403);
        const why = codeLive ? 'The confirmation code does not match the one mailed to the person this link was sent to' : 'No confirmation code was asked for in this browser, or it is older than 15 minutes; ask for a new one';
        return render(reply, link, token, session, 403, `${why} (${MAX_CODE_ATTEMPTS - attempts} tries left).`);
      }
      const spent = await spendApprovalLink(deps.db, { tokenHash: link.tokenHash, codeHash, session: hash(session), decision: body.data.choice, maxCodeAgeSeconds: CODE_TTL_SECONDS, maxAttempts: MAX_CODE_ATTEMPTS });
      if (!spent) return refuse(reply, 'This link was used a moment ago from another request. Each link works once.', 410);
      try {
        const next = await deps.signer.decide(deps.temporal, { workflowId: link.workflowId, kind: link.kind, subject: link.subject, person: link.person, choice: body.data.choice, reason: body.data.reason });
        return send(reply, 200, decidedPage(`${answer.facts.title}: ${body.data.choice}, recorded as ${link.person} via the approval page. ${next}`));
      } catch (error) {
        if (error instanceof WorkflowUpdateFailedError) {
          return refuse(reply, `The workflow refused the decision: ${error.cause?.message ?? error.message}`, 409);
        }
        await releaseApprovalLink(deps.db, link.tokenHash);
        throw error;
      }
    });
  };
}
