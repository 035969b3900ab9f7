import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPolicy, PolicyError } from '../../config/load-policy';

const root = join(__dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'patchctl-config-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, content: string | Buffer): string {
  const file = join(dir, name);
  writeFileSync(file, content);
  return file;
}

/** What loadPolicy throws for a file: always a PolicyError naming the file, never anything else. */
function refusal(file: string): PolicyError {
  try {
    loadPolicy({ file });
  } catch (error) {
    if (error instanceof PolicyError) return error;
    throw new Error(`expected a PolicyError, got ${String(error)}`);
  }
  throw new Error(`${file} was accepted`);
}

const aliasBomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]', 'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]', 'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]', 'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]', 'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]', 'f: [*e,*e,*e,*e,*e,*e,*e,*e,*e]'].join('\n');

describe('one policy loader: every unreadable or malformed file is refused naming the file', () => {
  it.each([
    ['a directory', () => dir, /is a directory/],
    ['a missing file', () => join(dir, 'nope.yaml'), /file not found/],
    ['a self-referencing alias', () => write('self.yaml', 'version: 1\nmsp: &m { name: x, loop: *m }\n'), /alias|refers to itself/],
    ['a self-referencing alias in a list', () => write('self-list.yaml', 'a: &a [*a]\n'), /alias|refers to itself/],
    ['an alias bomb', () => write('bomb.yaml', aliasBomb), /aliases/],
    ['binary garbage', () => write('garbage.yaml', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x00, 0x01, 0xff, 0xfe, 0x00, 0x00])), /binary/],
    ['a huge file', () => write('huge.yaml', `# ${'x'.repeat(2 * 1024 * 1024)}\n`), /larger than/],
  ])('%s', (_name, file, message) => {
    const path = file();
    const error = refusal(path);
    expect(error.file).toBe(path);
    expect(error.message).toContain(path);
    expect(error.problems.length).toBeGreaterThan(0);
    expect(error.problems.map((p) => p.message).join('\n')).toMatch(message);
  });

  it('returns the policy and its file when it is valid', () => {
    const file = join(root, 'patchctl.example.yaml');
    const loaded = loadPolicy({ file });
    expect(loaded.file).toBe(file);
    expect(loaded.policy.clients[0]?.id).toBe('acme-dental');
  });

  it('finds the policy through PATCHCTL_CONFIG when no file is given', () => {
    const file = write('via-env.yaml', readFileSync(join(root, 'patchctl.example.yaml'), 'utf8'));
    expect(loadPolicy({ env: { PATCHCTL_CONFIG: file } }).file).toBe(file);
  });
});
