import type { RingProgress } from '../../../domain/cycle/cycle-status';
import { shownCycleId } from '../../ids';
import type { ShownStatus } from '../../use-cases/cycle-status';
import { info, printTable } from '../output';

/** When the cycle waits for a maintenance window: the time it opens, from the cycle or its ring child. */
export function windowWait(status: ShownStatus): { ring: string; opensAt?: string } | undefined {
  const waitingPhase = (status.phase as string) === 'awaiting-window';
  for (const ring of status.rings) {
    if (ring.live?.phase === 'waiting-for-window') return { ring: ring.ring, opensAt: ring.live.windowOpensAt ?? ring.windowOpensAt };
    if (waitingPhase && ring.windowOpensAt) return { ring: ring.ring, opensAt: ring.windowOpensAt };
  }
  return waitingPhase ? { ring: status.rings.find((r) => r.state === 'deploying')?.ring ?? '?' } : undefined;
}

const pct = (n: number) => `${(n * 100).toFixed(1)} %`;

function duration(ring: RingProgress): string {
  if (!ring.startedAt) return '';
  const end = ring.endedAt ? Date.parse(ring.endedAt) : Date.now();
  const s = Math.max(0, Math.round((end - Date.parse(ring.startedAt)) / 1000));
  return s >= 3600 ? `${(s / 3600).toFixed(1)} h` : s >= 60 ? `${Math.round(s / 60)} min` : `${s} s`;
}

/** The phase in words: a ring waiting for its window says so, with the time it opens. */
export function phaseText(status: ShownStatus): string {
  const wait = windowWait(status);
  if (wait) return `waiting for maintenance window${wait.opensAt ? `, opens ${wait.opensAt}` : ''} (${wait.ring})`;
  return status.phase;
}

/** One line for a log: printed by `--watch` each time it changes when stdout is not a terminal. */
export function statusLine(status: ShownStatus): string {
  const rings = status.rings
    .map((r) => `${r.ring} ${r.live?.phase === 'waiting-for-window' ? 'waiting-for-window' : r.state} ${r.verified + r.failed}/${r.planned} (failed ${r.failed}, ${pct(r.failureRate)})`)
    .join(' · ');
  const pending = status.pending ? ` · waiting for ${status.pending.kind === 'promotion' ? `approval to promote to ${status.pending.ring}` : `a decision on the ${status.pending.ring} gate`}` : '';
  return `${shownCycleId(status.cycleId)} ${phaseText(status)}${status.paused ? ' (paused)' : ''} · ${rings}${pending}`;
}

export function printCycleStatus(status: ShownStatus): void {
  info(`${shownCycleId(status.cycleId)}  phase: ${phaseText(status)}${status.paused ? ' (paused)' : ''}${status.requestedBy ? `  requested by ${status.requestedBy}` : ''}`);
  printTable(
    ['ring', 'state', 'planned', 'deployed', 'verified', 'failed', 'failure rate', 'threshold', 'duration'],
    status.rings.map((r) => [r.ring, r.state, r.planned, r.deployed, r.verified, r.failed, pct(r.failureRate), pct(r.threshold), duration(r)]),
  );
  for (const r of status.rings) {
    const rate = r.rate;
    if (!rate || r.state === 'pending' || r.state === 'skipped') continue;
    const stopped = rate.stoppedBecause ? `; stopped: ${rate.stoppedBecause}` : '';
    info(`${r.ring}: ${rate.inFlight} in flight (max ${rate.maxConcurrency}), breaker ${rate.breaker} (max errors ${rate.maxErrors}), vendor failures ${rate.vendorFailures}, jobs past deadline ${rate.jobsPastDeadline}${stopped}`);
  }
  if (status.pending) {
    const p = status.pending;
    info(`waiting for: ${p.kind === 'promotion' ? `approval to promote to ${p.ring}` : `a decision on the ${p.ring} gate`} (${p.reason ?? ''})`);
    info(`  who may decide: ${p.deciders.join(', ') || 'nobody named'}${p.decideBy ? `; rolls back by itself at ${p.decideBy}` : ''}`);
  }
  const atRisk = status.deadlines.filter((d) => d.atRisk);
  for (const d of atRisk) info(`SLA at risk: ${d.assets} ${d.assetClass} assets (${d.severity}) due ${d.deadline}`);
  if (status.excludedCount > 0) info(`excluded: ${status.excludedCount} assets (${status.excluded.slice(0, 5).map((e) => e.hostname).join(', ')}${status.excludedCount > 5 ? ', …' : ''})`);
  if (status.outcome) info(`outcome: ${status.outcome.status} — ${status.outcome.reason}`);
  for (const a of status.outcome?.notRolledBack ?? []) info(`  still patched: ${a.hostname} (${a.ring}): ${a.detail}`);
}
