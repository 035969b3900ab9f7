import { describe, expect, it } from 'vitest';
import { earliestDeadline, groupDeadlines, mergeExclusions, type PlanExclusion } from '../../domain/cycle/cycle-planning';

const missing = (hostname: string, ...patchIds: string[]) => patchIds.map((patchId) => ({ hostname, patchId }));
const pending = (...lists: { hostname: string; patchId: string }[][]) => new Map(lists.map((l) => [l[0]!.hostname, l]));
const deferral = (exceptionId: string, hostnames: string[], patchIds: string[] = []): PlanExclusion => ({ exceptionId, kind: 'deferral', hostnames, patchIds });
const lane = (exceptionId: string, hostnames: string[]): PlanExclusion => ({ exceptionId, kind: 'isolated-lane', hostnames, patchIds: [] });

describe('mergeExclusions', () => {
  it('leaves every host in the plan when no exception applies', () => {
    const byHost = pending(missing('ws-1', 'KB1'), missing('ws-2', 'KB1'));
    const merged = mergeExclusions(byHost, [deferral('e-other', ['ws-9'])]);
    expect([...merged.remaining.keys()]).toEqual(['ws-1', 'ws-2']);
    expect(merged.excluded).toEqual([]);
  });

  it('takes a host out entirely for a deferral of all its patches or an isolated lane', () => {
    const byHost = pending(missing('ws-1', 'KB1', 'KB2'), missing('img-1', 'KB1'), missing('ws-2', 'KB1'));
    const merged = mergeExclusions(byHost, [deferral('e-1', ['ws-1']), lane('e-2', ['img-1'])]);
    expect([...merged.remaining.keys()]).toEqual(['ws-2']);
    expect(merged.excluded).toEqual([
      { hostname: 'img-1', reason: 'isolated lane (cannot be patched; compensating controls apply)', exceptionId: 'e-2' },
      { hostname: 'ws-1', reason: 'active exception (deferral)', exceptionId: 'e-1' },
    ]);
  });

  it('keeps a host in its ring for the patches a partial deferral does not name, and says which were deferred', () => {
    const byHost = pending(missing('ws-1', 'KB1', 'KB2', 'KB3'));
    const merged = mergeExclusions(byHost, [deferral('e-1', ['ws-1'], ['KB3', 'KB1'])]);
    expect(merged.remaining.get('ws-1')?.map((p) => p.patchId)).toEqual(['KB2']);
    expect(merged.excluded).toEqual([{ hostname: 'ws-1', reason: 'active exception defers KB1, KB3; other patches proceed', exceptionId: 'e-1' }]);
  });

  it('lists a host covered by several exceptions once, with every id, and excludes it when together they cover all', () => {
    const byHost = pending(missing('ws-1', 'KB1', 'KB2'));
    const merged = mergeExclusions(byHost, [deferral('e-b', ['ws-1'], ['KB2']), deferral('e-a', ['ws-1'], ['KB1'])]);
    expect(merged.remaining.has('ws-1')).toBe(false);
    expect(merged.excluded).toEqual([{ hostname: 'ws-1', reason: 'active exception (deferral)', exceptionId: 'e-a,e-b' }]);
  });

  it('ignores a deferral of a patch the host does not miss', () => {
    const byHost = pending(missing('ws-1', 'KB1'));
    const merged = mergeExclusions(byHost, [deferral('e-1', ['ws-1'], ['KB9'])]);
    expect(merged.remaining.get('ws-1')?.map((p) => p.patchId)).toEqual(['KB1']);
    expect(merged.excluded).toEqual([]);
  });

  it('lets an isolated lane win over a partial deferral of the same host', () => {
    const byHost = pending(missing('ws-1', 'KB1', 'KB2'));
    const merged = mergeExclusions(byHost, [deferral('e-1', ['ws-1'], ['KB1']), lane('e-2', ['ws-1'])]);
    expect(merged.remaining.has('ws-1')).toBe(false);
    expect(merged.excluded[0]).toMatchObject({ reason: expect.stringContaining('isolated lane'), exceptionId: 'e-1,e-2' });
  });

  it('does not change the map it was given', () => {
    const byHost = pending(missing('ws-1', 'KB1', 'KB2'));
    mergeExclusions(byHost, [deferral('e-1', ['ws-1'], ['KB1'])]);
    expect(byHost.get('ws-1')?.map((p) => p.patchId)).toEqual(['KB1', 'KB2']);
  });
});

describe('groupDeadlines', () => {
  const at = (iso: string) => new Date(iso);
  it('groups by asset class and severity with the earliest deadline of each, soonest group first', () => {
    const groups = groupDeadlines([
      { assetClass: 'workstation', severity: 'high', deadline: at('2026-12-10T00:00:00Z') },
      { assetClass: 'core-server', severity: 'critical', deadline: at('2026-12-02T12:00:00Z') },
      { assetClass: 'workstation', severity: 'high', deadline: at('2026-12-08T00:00:00Z') },
      { assetClass: 'core-server', severity: 'critical', deadline: at('2026-12-02T18:00:00Z') },
    ]);
    expect(groups).toEqual([
      { assetClass: 'core-server', severity: 'critical', assets: 2, deadline: '2026-12-02T12:00:00.000Z', atRisk: false },
      { assetClass: 'workstation', severity: 'high', assets: 2, deadline: '2026-12-08T00:00:00.000Z', atRisk: false },
    ]);
    expect(earliestDeadline(groups)).toBe('2026-12-02T12:00:00.000Z');
  });

  it('is empty for an empty plan', () => {
    expect(groupDeadlines([])).toEqual([]);
    expect(earliestDeadline([])).toBeUndefined();
  });
});
