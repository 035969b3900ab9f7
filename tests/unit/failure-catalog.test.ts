import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { describeError } from '../../client/errors';
import { ExitCode, FAILURE_CATALOG, failure } from '../../domain/failure-catalog';

const ROOT = join(__dirname, '..', '..');
const SOURCE_FOLDERS = ['config', 'domain', 'activities', 'workflows', 'workers', 'client'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

describe('the failure catalog', () => {
  it('is the only place that names an ApplicationFailure type', () => {
    const offenders: string[] = [];
    for (const folder of SOURCE_FOLDERS) {
      for (const file of sourceFiles(join(ROOT, folder))) {
        const text = readFileSync(file, 'utf8');
        const rel = relative(ROOT, file);
        if (rel === join('domain', 'failure-catalog.ts')) continue;
        if (/ApplicationFailure\.create\(/.test(text)) offenders.push(`${rel}: ApplicationFailure.create (use failure() from the catalog)`);
        for (const match of text.matchAll(/\btype:\s*'([A-Z][A-Za-z]+)'/g)) {
          if (!(match[1]! in FAILURE_CATALOG)) offenders.push(`${rel}: type '${match[1]}' is not in the catalog`);
        }
      }
    }
    expect(offenders).toEqual([]);
  });

  it('gives each type the exit code the CLI contract promises', () => {
    const codes = Object.fromEntries(Object.entries(FAILURE_CATALOG).map(([type, entry]) => [type, entry.exitCode]));
    expect(codes).toMatchObject({ NotAllowed: 4, NotPending: 4, NotFound: 3, InvalidInput: 2, VendorRejected: 1, RingFailed: 1 });
    for (const type of Object.keys(FAILURE_CATALOG) as (keyof typeof FAILURE_CATALOG)[]) {
      const report = describeError(failure(type, `a ${type} failure`));
      expect(report.exitCode, type).toBe(FAILURE_CATALOG[type].exitCode);
    }
  });

  it('makes business failures final and vendor trouble retryable', () => {
    expect(failure('NotAllowed', 'x').nonRetryable).toBe(true);
    expect(failure('VendorRejected', 'x').nonRetryable).toBe(true);
    expect(failure('VendorUnavailable', 'x').nonRetryable).toBe(false);
  });

  it('treats an uncatalogued type as an operation failure, not a refusal', () => {
    const stray = ApplicationFailure.create({ type: 'SomethingElse', message: 'boom', nonRetryable: true });
    expect(describeError(stray).exitCode).toBe(ExitCode.failed);
  });
});
