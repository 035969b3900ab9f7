import { createHash } from 'node:crypto';
import type { DecisionFacts, PageChoice } from './decision-facts';

// Server-rendered pages of the approval page: no script, no external asset, one inline style whose
// hash the Content-Security-Policy names, so nothing else can run or load.

const STYLE = `body{font:15px/1.45 system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1d2330}
main{max-width:860px;margin:24px auto;background:#fff;border:1px solid #d8dce3;border-radius:8px;padding:24px 32px}
h1{font-size:21px;margin:0 0 4px}h2{font-size:16px;margin:22px 0 8px}.muted{color:#5b6475}
table{border-collapse:collapse;width:100%;font-size:14px}th,td{border-bottom:1px solid #e3e6eb;padding:5px 8px;text-align:left}
th{background:#f0f2f5}td.n{text-align:right;font-variant-numeric:tabular-nums}.bad{color:#b42318;font-weight:600}
.box{border-radius:6px;padding:12px 16px;margin:16px 0}.refused{background:#fef3f2;border:1px solid #fecdca}
.done{background:#ecfdf3;border:1px solid #abefc6}.note{background:#eff4ff;border:1px solid #c7d7fe}
form{margin:14px 0}label{display:block;margin:10px 0 4px;font-weight:600}
input[type=text]{font:inherit;padding:6px 8px;border:1px solid #b8bfcc;border-radius:4px;width:100%;box-sizing:border-box}
input.code{width:9em;letter-spacing:.2em}
button{font:inherit;padding:8px 16px;border-radius:5px;border:1px solid #8a94a6;background:#fff;margin:10px 8px 0 0;cursor:pointer}
button.approve{background:#067647;border-color:#067647;color:#fff}button.reject,button.rollback{background:#b42318;border-color:#b42318;color:#fff}`;

export const STYLE_HASH = `sha256-${createHash('sha256').update(STYLE).digest('base64')}`;

/** Headers every page carries: nothing external, never framed or cached, the token never leaks as a referrer. */
export const PAGE_HEADERS: Record<string, string> = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': `default-src 'none'; style-src '${STYLE_HASH}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"><title>${escapeHtml(title)} · patchctl</title><style>${STYLE}</style></head><body><main>${body}</main></body></html>`;
}

const percent = (share: number) => `${(share * 100).toFixed(1)} %`;

function ringsTable(facts: DecisionFacts): string {
  if (facts.rings.length === 0) return '';
  const rows = facts.rings
    .map((r) => `<tr><td>${escapeHtml(r.ring)}</td><td>${escapeHtml(r.state)}</td><td class="n">${r.planned}</td><td class="n">${r.deployed}</td><td class="n">${r.verified}</td><td class="n">${r.failed}</td><td class="n${r.failureRate > r.threshold ? ' bad' : ''}">${percent(r.failureRate)}</td><td class="n">${percent(r.threshold)}</td></tr>`)
    .join('');
  return `<h2>Rings</h2><table><thead><tr><th>Ring</th><th>State</th><th>Planned</th><th>Deployed</th><th>Verified</th><th>Failed</th><th>Failure rate</th><th>Threshold</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function deadlinesTable(facts: DecisionFacts): string {
  if (facts.deadlines.length === 0) return '';
  const rows = facts.deadlines
    .map((d) => `<tr><td>${escapeHtml(d.assetClass)}</td><td>${escapeHtml(d.severity)}</td><td class="n">${d.assets}</td><td>${escapeHtml(d.deadline)}</td><td>${d.atRisk ? '<span class="bad">at risk</span>' : 'on track'}</td></tr>`)
    .join('');
  return `<h2>SLA deadlines</h2><table><thead><tr><th>Asset class</th><th>Severity</th><th>Assets</th><th>Deadline</th><th></th></tr></thead><tbody>${rows}</tbody></table>`;
}

function excludedTable(facts: DecisionFacts): string {
  if (facts.rings.length === 0) return '';
  if (facts.excludedCount === 0) return '<h2>Excluded assets</h2><p class="muted">None: every in-scope asset is in a ring.</p>';
  const rows = facts.excluded.map((e) => `<tr><td>${escapeHtml(e.hostname)}</td><td>${escapeHtml(e.reason)}</td><td>${escapeHtml(e.exceptionId ?? '')}</td></tr>`).join('');
  const more = facts.excludedCount > facts.excluded.length ? `<p class="muted">and ${facts.excludedCount - facts.excluded.length} more.</p>` : '';
  return `<h2>Excluded assets (${facts.excludedCount})</h2><table><thead><tr><th>Asset</th><th>Why</th><th>Exception</th></tr></thead><tbody>${rows}</tbody></table>${more}`;
}

function detailsTable(facts: DecisionFacts): string {
  if (facts.details.length === 0) return '';
  return `<h2>Details</h2><table><tbody>${facts.details.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('')}</tbody></table>`;
}

const CHOICE_LABELS: Record<PageChoice, string> = {
  approve: 'Approve',
  reject: 'Reject',
  rollback: 'Roll back',
  'retry-failed': 'Retry the failed assets',
  override: 'Override and continue',
};

export interface DecisionPageInput {
  facts: DecisionFacts;
  person: string;
  linkExpiresAt: string;
  /** Form actions, relative to the link. */
  codeAction: string;
  decideAction: string;
  csrfToken: string;
  /** A code was mailed for this browser session: the decision form is shown. */
  codeSent: boolean;
  notice?: string;
}

export function decisionPage(input: DecisionPageInput): string {
  const { facts } = input;
  const csrf = `<input type="hidden" name="csrf" value="${escapeHtml(input.csrfToken)}">`;
  const header = `<h1>${escapeHtml(facts.title)}</h1><p class="muted">${escapeHtml(facts.reference)}</p>` +
    (facts.reason ? `<p>Why it waits: ${escapeHtml(facts.reason)}</p>` : '') +
    (facts.decideBy ? `<p>Decide before <strong>${escapeHtml(facts.decideBy)}</strong>.</p>` : '');
  const notice = input.notice ? `<div class="box note">${escapeHtml(input.notice)}</div>` : '';
  const who = `<p class="muted">This link was sent to ${escapeHtml(input.person)}, works once and expires ${escapeHtml(input.linkExpiresAt)}. The decision is recorded as theirs, signed by the approval page on their behalf.</p>`;
  const form = input.codeSent
    ? `<form method="post" action="${escapeHtml(input.decideAction)}">${csrf}<label for="code">Confirmation code (mailed to ${escapeHtml(input.person)})</label><input class="code" type="text" id="code" name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="6" required><label for="reason">Reason or comment</label><input type="text" id="reason" name="reason" maxlength="500">${facts.choices
        .map((c) => `<button type="submit" name="choice" value="${c}" class="${c}">${escapeHtml(CHOICE_LABELS[c])}</button>`)
        .join('')}</form>`
    : `<form method="post" action="${escapeHtml(input.codeAction)}">${csrf}<p>To decide, confirm that you are ${escapeHtml(input.person)}: a code goes to that address.</p><button type="submit" name="send" value="code">Mail me a confirmation code</button></form>`;
  return page(facts.title, header + notice + ringsTable(facts) + excludedTable(facts) + deadlinesTable(facts) + detailsTable(facts) + `<h2>Your decision</h2>${who}${form}`);
}

export function refusedPage(why: string, status: number): { status: number; html: string } {
  return { status, html: page('Link refused', `<h1>This link cannot be used</h1><div class="box refused" id="refusal">${escapeHtml(why)}</div><p class="muted">You can still decide from a terminal with the command in the mail.</p>`) };
}

export function decidedPage(what: string): string {
  return page('Decision recorded', `<h1>Decision recorded</h1><div class="box done" id="outcome">${escapeHtml(what)}</div><p class="muted">This link is now spent. You can close this page.</p>`);
}
