import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseInventoryCsv } from '../../activities/store/inventory-csv';

const fixture = (name: string) => readFileSync(join(__dirname, '..', 'fixtures', name), 'utf8');
const HEADER = 'hostname,os,role,asset_class,owner,location,ephi,tags,applications';

function problemsOf(text: string) {
  const result = parseInventoryCsv(text);
  if (result.ok) throw new Error(`expected problems, got ${result.assets.length} assets`);
  return result.problems;
}

describe('parseInventoryCsv', () => {
  it('reads every asset of the good fixture with its typed fields', () => {
    const result = parseInventoryCsv(fixture('inventory-good.csv'));
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(result.assets).toHaveLength(12);
    expect(new Set(result.assets.map((a) => a.os))).toEqual(new Set(['windows', 'linux', 'macos']));
    expect(new Set(result.assets.map((a) => a.role))).toEqual(new Set(['server', 'workstation', 'kiosk']));
    expect(new Set(result.assets.map((a) => a.assetClass))).toEqual(new Set(['core-server', 'workstation', 'do-not-disrupt']));
    expect(result.assets.filter((a) => a.ephi).map((a) => a.hostname)).toContain('acme-ehr01');
    expect(result.assets.find((a) => a.hostname === 'acme-ehr01')).toEqual({
      hostname: 'acme-ehr01',
      os: 'windows',
      role: 'server',
      assetClass: 'do-not-disrupt',
      owner: 'owner@acme-dental.example',
      location: 'Main office server room',
      ephi: true,
      tags: ['ehr', 'phi'],
      applications: ['Dentrix Server', 'SQL Server 2019'],
    });
    expect(result.assets.find((a) => a.hostname === 'acme-op01')?.tags).toEqual([]);
  });

  it('lists every bad row of the bad fixture with its line number and column', () => {
    const problems = problemsOf(fixture('inventory-bad.csv'));
    expect(problems).toEqual([
      { path: 'line 3: os', message: 'must be one of windows, macos, linux, got "solaris"' },
      { path: 'line 4: role', message: 'must be one of server, workstation, kiosk, got "desktop"' },
      { path: 'line 5: ephi', message: 'must be yes or no (true/false also accepted), got "maybe"' },
      { path: 'line 6: hostname', message: 'duplicate hostname "acme-dc01", already on line 2' },
      { path: 'line 7: asset_class', message: 'must be one of core-server, workstation, do-not-disrupt, got "critical"' },
      { path: 'line 7: owner', message: expect.stringContaining('must not be empty') },
      { path: 'line 8', message: 'expected 9 fields like the header, got 7' },
    ]);
  });

  it('accepts columns in any order and case, true/false for ePHI, and no optional columns', () => {
    const text = ['EPHI,Location,Owner,Asset_Class,Role,OS,Hostname', 'TRUE,Lab,Ops,Core-Server,Server,Linux,DB01.acme.local', 'false,Lab,Ops,workstation,kiosk,windows,k1'].join('\n');
    const result = parseInventoryCsv(text);
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(result.assets).toEqual([
      { hostname: 'db01.acme.local', os: 'linux', role: 'server', assetClass: 'core-server', owner: 'Ops', location: 'Lab', ephi: true, tags: [], applications: [] },
      { hostname: 'k1', os: 'windows', role: 'kiosk', assetClass: 'workstation', owner: 'Ops', location: 'Lab', ephi: false, tags: [], applications: [] },
    ]);
  });

  it('splits semicolon lists, trimming blanks and repeats', () => {
    const result = parseInventoryCsv(`${HEADER}\nh1,linux,server,core-server,o,l,no, a ; b;;a ,"x;y; x"`);
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(result.assets[0]?.tags).toEqual(['a', 'b']);
    expect(result.assets[0]?.applications).toEqual(['x', 'y']);
  });

  it('reports missing, unknown and repeated header columns on line 1', () => {
    const problems = problemsOf('hostname,os,role,class,owner,owner,ephi\nh1,linux,server,core-server,o,o,no');
    expect(problems).toEqual(
      expect.arrayContaining([
        { path: 'line 1: class', message: expect.stringContaining('unknown column') },
        { path: 'line 1: owner', message: 'column appears more than once' },
        { path: 'line 1: asset_class', message: expect.stringContaining('missing column "asset_class"') },
        { path: 'line 1: location', message: expect.stringContaining('missing column "location"') },
      ]),
    );
    expect(problems).toHaveLength(4);
  });

  it('reports hostnames repeated in any case, pointing at the first occurrence', () => {
    const problems = problemsOf(`${HEADER}\nFS01,linux,server,core-server,o,l,no,,\nws1,windows,workstation,workstation,o,l,no,,\nfs01,linux,server,core-server,o,l,no,,`);
    expect(problems).toEqual([{ path: 'line 4: hostname', message: 'duplicate hostname "fs01", already on line 2' }]);
  });

  it('counts lines from the file, past blank lines and quoted line breaks', () => {
    const problems = problemsOf(`${HEADER}\n\nh1,linux,server,core-server,o,"two\nlines",no,,\nh2,beos,server,core-server,o,l,no,,`);
    expect(problems).toEqual([{ path: 'line 5: os', message: 'must be one of windows, macos, linux, got "beos"' }]);
  });

  it('refuses an empty file, a header without rows, and broken CSV', () => {
    expect(problemsOf('')).toEqual([{ path: 'line 1', message: expect.stringContaining('file is empty') }]);
    expect(problemsOf(`${HEADER}\n`)).toEqual([{ path: 'line 2', message: 'no assets: the file has a header but no rows' }]);
    expect(problemsOf(`${HEADER}\nh1,linux,server,core-server,o,"unclosed,no,,\n`)[0]?.message).toMatch(/^not valid CSV: /);
  });

  it('refuses a bad hostname and empty required fields, naming the column', () => {
    const problems = problemsOf(`${HEADER}\nbad_host!,linux,server,core-server,o,,no,,`);
    expect(problems).toEqual([
      { path: 'line 2: hostname', message: 'must be a hostname of letters, digits, dashes and dots, got "bad_host!"' },
      { path: 'line 2: location', message: expect.stringContaining('must not be empty') },
    ]);
  });
});
