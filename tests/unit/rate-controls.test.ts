import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { parse, stringify } from 'yaml';
import { printCycleStatus } from '../../client/cli/cycle/cycle-view';
import type { ShownRing } from '../../client/use-cases/cycle-status';
import { parsePolicyText } from '../../config/load-policy';
import { breakerTrips, ringRateControls } from '../../domain/cycle/rate-controls';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Yaml = Record<string, any>;
const example = parse(readFileSync(join(__dirname, '..', '..', 'patchctl.example.yaml'), 'utf8')) as Yaml;

function check(change: (policy: Yaml) => void): string[] {
  const policy = structuredClone(example);
  change(policy);
  const result = parsePolicyText(stringify(policy));
  return result.ok ? [] : result.problems.map((p) => `${p.path}: ${p.message}`);
}

describe('ring rate controls in policy', () => {
  it('accepts counts and shares', () => {
    expect(check((p) => Object.assign(p.rings.production, { maxConcurrency: '10%', maxErrors: 25 }))).toEqual([]);
    expect(check((p) => Object.assign(p.rings.pilot, { maxConcurrency: 200, maxErrors: '2.5%' }))).toEqual([]);
  });

  it.each([
    ['rings.production.maxConcurrency', (p: Yaml) => (p.rings.production.maxConcurrency = 0), 'rings.production.maxConcurrency: must be a whole number of assets between 1 and 100000, or a share of the ring like "10%" between 0.1% and 100%, got 0'],
    ['rings.production.maxConcurrency', (p: Yaml) => (p.rings.production.maxConcurrency = '150%'), 'rings.production.maxConcurrency: must be a whole number of assets between 1 and 100000, or a share of the ring like "10%" between 0.1% and 100%, got "150%"'],
    ['rings.canary.maxErrors', (p: Yaml) => (p.rings.canary.maxErrors = 'many'), 'rings.canary.maxErrors: must be a whole number of failures between 0 and 100000, or a share of the ring like "10%" between 0% and 50%, got "many"'],
    ['rings.pilot.maxErrors', (p: Yaml) => (p.rings.pilot.maxErrors = 2.5), 'rings.pilot.maxErrors: must be a whole number of failures between 0 and 100000, or a share of the ring like "10%" between 0% and 50%, got 2.5'],
    ['rollout.jobDeadline', (p: Yaml) => (p.rollout.jobDeadline = '30s'), 'rollout.jobDeadline: must be between 10m and 7d, got "30s"'],
    ['rollout.batchLeadTime', (p: Yaml) => (p.rollout.batchLeadTime = '2d'), 'rollout.batchLeadTime: must be between 1m and 12h, got "2d"'],
    ['rollout.maxVendorFailures', (p: Yaml) => (p.rollout.maxVendorFailures = 0), 'rollout.maxVendorFailures: must be between 1 and 20, got 0'],
  ])('refuses %s out of bounds, naming what is expected', (_name, change, line) => {
    expect(check(change)).toEqual([line]);
  });
});

describe('ringRateControls', () => {
  it('defaults: 10 % of the ring in flight, and the breaker trips where the gate would breach anyway', () => {
    expect(ringRateControls({ failureThreshold: 0.05 }, 5000, 50)).toEqual({ maxConcurrency: 500, maxErrors: 250, batchesInFlight: 10 });
  });

  it('resolves shares against the ring, and always lets one batch run', () => {
    expect(ringRateControls({ failureThreshold: 0.05, maxConcurrency: '1%', maxErrors: '0.5%' }, 2000, 50)).toEqual({ maxConcurrency: 20, maxErrors: 10, batchesInFlight: 1 });
    expect(ringRateControls({ failureThreshold: 0.05, maxConcurrency: 120, maxErrors: 0 }, 2000, 50)).toEqual({ maxConcurrency: 120, maxErrors: 0, batchesInFlight: 2 });
  });

  it('trips only past maxErrors', () => {
    expect(breakerTrips(10, 10)).toBe(false);
    expect(breakerTrips(11, 10)).toBe(true);
    expect(breakerTrips(1, 0)).toBe(true);
  });
});

describe('cycle status shows the rate controls of a running ring', () => {
  it('prints in-flight, the breaker and why the ring stopped', () => {
    let out = '';
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out += String(chunk);
      return true;
    });
    const ring: ShownRing = {
      ring: 'production', state: 'gate-breached', attempt: 1, batches: 100, planned: 5000, deployed: 0, verified: 0, failed: 300, failureRate: 0.06, threshold: 0.05,
      rate: { inFlight: 0, maxConcurrency: 250, maxErrors: 250, breaker: 'tripped', vendorFailures: 0, jobsPastDeadline: 2, stoppedBecause: 'breaker tripped: 300 failures passed maxErrors 250' },
    };
    printCycleStatus({ cycleId: 'cycle/acme/x', clientId: 'acme', requestedBy: '', phase: 'awaiting-decision', paused: false, startedAt: '2026-12-01T00:00:00.000Z', rings: [ring], deadlines: [], excluded: [], excludedCount: 0, patches: 1, decisions: [] });
    write.mockRestore();
    expect(out).toContain('production: 0 in flight (max 250), breaker tripped (max errors 250), vendor failures 0, jobs past deadline 2; stopped: breaker tripped: 300 failures passed maxErrors 250');
  });
});
