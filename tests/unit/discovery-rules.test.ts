import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { parseScanCsv } from '../../activities/discovery/scan-csv';
import { parseSoftwareList } from '../../activities/discovery/software-list-file';
import { parsePolicyText } from '../../config/load-policy';
import { discoveryCalendar, restoreDrillCalendar } from '../../domain/discovery/discovery-schedule';
import { nextDrillHost } from '../../domain/discovery/restore-drill';
import { classifySoftware } from '../../domain/discovery/software-list';

const example = parse(readFileSync(join(__dirname, '..', '..', 'patchctl.example.yaml'), 'utf8'));

function withClientField(field: Record<string, unknown>) {
  const doc = structuredClone(example);
  Object.assign(doc.clients[0], field);
  return parsePolicyText(stringify(doc));
}

describe('discovery policy, lists and rules', () => {
  it('accepts a discovery block with defaults and refuses a bad one naming the field', () => {
    const ok = withClientField({ discovery: { every: 'weekly' }, restoreDrills: { every: 'quarterly' } });
    if (!ok.ok) throw new Error(JSON.stringify(ok.problems));
    expect(ok.policy.clients[0]?.discovery).toEqual({ every: 'weekly', at: '02:00', day: 'sun', silentAfter: 7 * 86_400_000, unmanagedSources: [] });
    const bad = withClientField({ discovery: { every: 'hourly', at: '25:00' } });
    expect(bad.ok).toBe(false);
    if (bad.ok) return;
    expect(bad.problems.map((p) => p.path)).toEqual(['clients[0].discovery.every', 'clients[0].discovery.at']);
  });

  it('turns the policy into calendars in the client time zone', () => {
    expect(discoveryCalendar({ every: 'daily', at: '02:30', day: 'sun', silentAfter: 1, unmanagedSources: [] })).toEqual({ comment: 'daily, 02:30 client time', hour: 2, minute: 30 });
    expect(discoveryCalendar({ every: 'weekly', at: '02:00', day: 'wed', silentAfter: 1, unmanagedSources: [] })).toMatchObject({ dayOfWeek: 'WEDNESDAY', hour: 2 });
    expect(restoreDrillCalendar({ every: 'quarterly', at: '03:00', hosts: [] })).toMatchObject({ dayOfMonth: 1, month: ['JANUARY', 'APRIL', 'JULY', 'OCTOBER'], hour: 3 });
  });

  it('classifies software: exact names beat patterns, longer patterns beat shorter ones, case ignored', () => {
    const list = [
      { name: 'Java*', status: 'supported' as const },
      { name: 'Java 8*', status: 'unsupported' as const, remediation: 'manual-with-proof' },
      { name: 'java 8 update 401', status: 'supported' as const },
    ];
    expect(classifySoftware('Java 17', list)).toEqual({ status: 'supported', pattern: 'Java*' });
    expect(classifySoftware('Java 8 Update 391', list)).toEqual({ status: 'unsupported', pattern: 'Java 8*', remediation: 'manual-with-proof' });
    expect(classifySoftware('JAVA 8 UPDATE 401', list)).toEqual({ status: 'supported', pattern: 'java 8 update 401' });
    expect(classifySoftware('Zoom', list)).toEqual({ status: 'unknown' });
  });

  it('refuses a software list or scan file entry naming its line and field', () => {
    const yaml = parseSoftwareList('software:\n  - { name: Zoom, status: unsupported }\n', 'list.yaml');
    expect(yaml).toMatchObject({ ok: false, problems: [{ path: 'software.0.remediation' }] });
    const scan = parseScanCsv('hostname,ip,colour\nfs01,10.0.0.1,red\n', 'csv:scan.csv');
    expect(scan).toMatchObject({ ok: false, problems: [{ path: 'line 1: colour', message: expect.stringContaining('unknown column') }] });
    expect(parseScanCsv('hostname,os\nFS01,Windows\n', 'csv:scan.csv')).toEqual({ ok: true, devices: [{ hostname: 'fs01', os: 'windows', role: null, source: 'csv:scan.csv', rmm: false }] });
  });

  it('drills the critical system drilled longest ago, never-drilled first', () => {
    expect(nextDrillHost([{ hostname: 'b', lastDrilledAt: '2026-11-01T00:00:00Z' }, { hostname: 'c' }, { hostname: 'a', lastDrilledAt: '2026-10-01T00:00:00Z' }])).toBe('c');
    expect(nextDrillHost([{ hostname: 'b', lastDrilledAt: '2026-11-01T00:00:00Z' }, { hostname: 'a', lastDrilledAt: '2026-10-01T00:00:00Z' }])).toBe('a');
    expect(nextDrillHost([])).toBeUndefined();
  });
});
