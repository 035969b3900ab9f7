import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadPolicyFile } from '../../config/load-policy';
import { formatProblems } from '../../config/problems';
import type { SlaTable } from '../../config/policy-schema';
import { evaluateGate } from '../../domain/cycle/gate';
import { highestSeverity, slaTerms } from '../../domain/cycle/sla';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('highestSeverity', () => {
  it('picks the most urgent severity among an asset’s patches', () => {
    expect(highestSeverity(['routine', 'critical', 'high'])).toBe('critical');
    expect(highestSeverity(['routine', 'high', 'routine'])).toBe('high');
    expect(highestSeverity(['high'])).toBe('high');
    expect(highestSeverity(['routine', 'routine'])).toBe('routine');
  });

  it('treats an asset with no patches as routine', () => {
    expect(highestSeverity([])).toBe('routine');
  });
});

describe('slaTerms with the shipped SLA table (patchctl.example.yaml)', () => {
  let sla: SlaTable;
  beforeAll(() => {
    const result = loadPolicyFile(join(__dirname, '..', '..', 'patchctl.example.yaml'));
    if (!result.ok) throw new Error(formatProblems(result.problems));
    sla = result.policy.sla;
  });

  const detectedAt = new Date('2026-11-27T15:45:00.000Z');

  it('counts the deadline from detection: 24h for critical, 7d for high, 30d for routine', () => {
    expect(slaTerms(sla, 'core-server', 'critical', detectedAt).deadline.toISOString()).toBe('2026-11-28T15:45:00.000Z');
    expect(slaTerms(sla, 'workstation', 'high', detectedAt).deadline.toISOString()).toBe('2026-12-04T15:45:00.000Z');
    expect(slaTerms(sla, 'do-not-disrupt', 'routine', detectedAt).deadline.toISOString()).toBe('2026-12-27T15:45:00.000Z');
    for (const assetClass of ['core-server', 'workstation', 'do-not-disrupt'] as const) {
      expect(slaTerms(sla, assetClass, 'critical', detectedAt).deadline.getTime() - detectedAt.getTime()).toBe(DAY);
      expect(slaTerms(sla, assetClass, 'high', detectedAt).deadline.getTime() - detectedAt.getTime()).toBe(7 * DAY);
      expect(slaTerms(sla, assetClass, 'routine', detectedAt).deadline.getTime() - detectedAt.getTime()).toBe(30 * DAY);
    }
  });

  it('takes the reboot policy from the asset class row: servers and workstations prompt the user (scheduled reboots are not enforced yet), do-not-disrupt waits for a person', () => {
    for (const severity of ['critical', 'high', 'routine'] as const) {
      expect(slaTerms(sla, 'core-server', severity, detectedAt).reboot).toEqual({ mode: 'user-prompted' });
      expect(slaTerms(sla, 'workstation', severity, detectedAt).reboot).toEqual({ mode: 'user-prompted' });
      expect(slaTerms(sla, 'do-not-disrupt', severity, detectedAt).reboot).toEqual({ mode: 'manual-approval' });
    }
  });

  it('follows the table it is given, not fixed numbers', () => {
    const custom: SlaTable = structuredClone(sla);
    custom.workstation.critical = { deploymentWindow: 2 * HOUR, reboot: { mode: 'scheduled', day: 'wed', at: '23:30' } };
    const terms = slaTerms(custom, 'workstation', 'critical', detectedAt);
    expect(terms.deadline.toISOString()).toBe('2026-11-27T17:45:00.000Z');
    expect(terms.reboot).toEqual({ mode: 'scheduled', day: 'wed', at: '23:30' });
  });

  it('does not change the detection time it was given', () => {
    const detected = new Date(detectedAt);
    slaTerms(sla, 'core-server', 'critical', detected);
    expect(detected.toISOString()).toBe(detectedAt.toISOString());
  });
});

describe('evaluateGate', () => {
  it('reports the failure rate as failed / planned', () => {
    expect(evaluateGate({ planned: 20, failed: 3, threshold: 0.2 })).toEqual({ failureRate: 0.15, threshold: 0.2, breached: false });
    expect(evaluateGate({ planned: 8, failed: 8, threshold: 0.5 }).failureRate).toBe(1);
    expect(evaluateGate({ planned: 8, failed: 0, threshold: 0 }).failureRate).toBe(0);
  });

  it('breaches only when the rate is strictly above the threshold', () => {
    expect(evaluateGate({ planned: 10, failed: 1, threshold: 0.1 }).breached).toBe(false); // exactly at it
    expect(evaluateGate({ planned: 10, failed: 2, threshold: 0.1 }).breached).toBe(true);
    expect(evaluateGate({ planned: 100, failed: 5, threshold: 0.05 }).breached).toBe(false);
    expect(evaluateGate({ planned: 100, failed: 6, threshold: 0.05 }).breached).toBe(true);
    expect(evaluateGate({ planned: 3, failed: 1, threshold: 0.34 }).breached).toBe(false);
    expect(evaluateGate({ planned: 3, failed: 2, threshold: 0.34 }).breached).toBe(true);
  });

  it('with a zero threshold, one failure breaches and none does not', () => {
    expect(evaluateGate({ planned: 50, failed: 0, threshold: 0 }).breached).toBe(false);
    expect(evaluateGate({ planned: 50, failed: 1, threshold: 0 }).breached).toBe(true);
  });

  it('with a threshold of 1, even a ring where everything failed passes', () => {
    expect(evaluateGate({ planned: 4, failed: 4, threshold: 1 }).breached).toBe(false);
  });

  it('never breaches an empty ring (nothing planned)', () => {
    expect(evaluateGate({ planned: 0, failed: 0, threshold: 0 })).toEqual({ failureRate: 0, threshold: 0, breached: false });
    expect(evaluateGate({ planned: 0, failed: 0, threshold: 0.2 }).breached).toBe(false);
  });
});
