import { describe, expect, it } from 'vitest';
import {
  cycleNameFor,
  cycleWorkflowId,
  deploymentKey,
  isValidCycleName,
  parseCycleRef,
  ringRollbackWorkflowId,
  ringWorkflowId,
} from '../../domain/ids';

describe('cycle ids', () => {
  it('builds the workflow id cycle/<client>/<name>', () => {
    expect(cycleWorkflowId('acme-dental', '20261129-0300-critical')).toBe('cycle/acme-dental/20261129-0300-critical');
  });

  it('parses back what it built (round trip)', () => {
    const id = cycleWorkflowId('acme-dental', '20261129-0300-critical');
    expect(parseCycleRef(id)).toEqual({ workflowId: id, clientId: 'acme-dental', cycleName: '20261129-0300-critical' });
  });

  it('accepts the short form <client>/<name> that the CLI prints', () => {
    expect(parseCycleRef('acme-dental/20261129-0300-critical')).toEqual({
      workflowId: 'cycle/acme-dental/20261129-0300-critical',
      clientId: 'acme-dental',
      cycleName: '20261129-0300-critical',
    });
    expect(parseCycleRef('a/b')).toEqual({ workflowId: 'cycle/a/b', clientId: 'a', cycleName: 'b' });
    expect(parseCycleRef('cycle/a/b')).toEqual(parseCycleRef('a/b'));
  });

  it.each([
    [''],
    ['acme-dental'],
    ['cycle/acme-dental'],
    ['cycle/'],
    ['/20261129-0300-critical'],
    ['acme-dental/'],
    ['acme-dental//x'],
    ['a/b/c'],
    ['cycle/acme-dental/20261129-0300-critical/ring/canary'],
  ])('rejects %j', (ref) => {
    expect(parseCycleRef(ref)).toBeUndefined();
  });
});

describe('cycleNameFor', () => {
  it('stamps the UTC request time to the minute, then the scope: 20261129-0300-critical', () => {
    expect(cycleNameFor(new Date('2026-11-29T03:00:59.999Z'), 'critical')).toBe('20261129-0300-critical');
    expect(cycleNameFor(new Date('2026-01-05T17:09:00Z'), 'all')).toBe('20260105-1709-all');
  });

  it('turns any scope text into a valid cycle name', () => {
    const name = cycleNameFor(new Date('2026-11-29T03:00:00Z'), 'KB5036893 + KB890830');
    expect(name).toBe('20261129-0300-kb5036893-kb890830');
    expect(isValidCycleName(name)).toBe(true);
    const long = cycleNameFor(new Date('2026-11-29T03:00:00Z'), 'x'.repeat(200));
    expect(isValidCycleName(long)).toBe(true);
    expect(long).toBe(`20261129-0300-${'x'.repeat(40)}`);
  });

  it('gives names that round-trip through a cycle id', () => {
    const name = cycleNameFor(new Date('2026-11-29T03:00:00Z'), 'high');
    expect(parseCycleRef(cycleWorkflowId('acme-dental', name))?.cycleName).toBe(name);
  });
});

describe('isValidCycleName', () => {
  it('accepts lower-case letters, digits, dots and dashes starting with a letter or digit', () => {
    expect(isValidCycleName('20261129-0300-critical')).toBe(true);
    expect(isValidCycleName('november.emergency')).toBe(true);
  });

  it.each([[''], ['-leading-dash'], ['Upper'], ['has space'], ['has/slash'], ['x'.repeat(64)]])('rejects %j', (name) => {
    expect(isValidCycleName(name)).toBe(false);
  });
});

describe('ring workflow ids', () => {
  const cycleId = 'cycle/acme-dental/20261129-0300-critical';

  it('names the first attempt of a ring without a suffix and later ones with attempt-N', () => {
    expect(ringWorkflowId(cycleId, 'canary')).toBe('cycle/acme-dental/20261129-0300-critical/ring/canary');
    expect(ringWorkflowId(cycleId, 'pilot', 1)).toBe('cycle/acme-dental/20261129-0300-critical/ring/pilot');
    expect(ringWorkflowId(cycleId, 'pilot', 2)).toBe('cycle/acme-dental/20261129-0300-critical/ring/pilot/attempt-2');
    expect(ringWorkflowId(cycleId, 'production', 3)).toBe('cycle/acme-dental/20261129-0300-critical/ring/production/attempt-3');
  });

  it('gives rollback children their own id next to the ring’s', () => {
    expect(ringRollbackWorkflowId(cycleId, 'pilot')).toBe('cycle/acme-dental/20261129-0300-critical/ring/pilot/rollback');
    expect(ringRollbackWorkflowId(cycleId, 'pilot')).not.toBe(ringWorkflowId(cycleId, 'pilot'));
  });

  it('makes one deployment key per (cycle, ring, host, patch)', () => {
    const key = deploymentKey(cycleId, 'canary', 'ws-1', 'KB5036893');
    expect(deploymentKey(cycleId, 'canary', 'ws-1', 'KB5036893')).toBe(key);
    expect(new Set([key, deploymentKey(cycleId, 'pilot', 'ws-1', 'KB5036893'), deploymentKey(cycleId, 'canary', 'ws-2', 'KB5036893'), deploymentKey(cycleId, 'canary', 'ws-1', 'KB890830')]).size).toBe(4);
  });
});
