import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { describeError } from '../../client/errors';
import { shownCycleId, shownId } from '../../client/ids';

describe('ids as patchctl prints them', () => {
  it('prints cycles and exceptions as CLIENT/NAME, whichever form was typed', () => {
    expect(shownId('cycle/acme-dental/20261129-0300-critical')).toEqual({ kind: 'cycle', id: 'acme-dental/20261129-0300-critical' });
    expect(shownCycleId('acme-dental/e2e-1')).toBe('acme-dental/e2e-1');
    expect(shownCycleId('cycle/acme-dental/e2e-1')).toBe('acme-dental/e2e-1');
    expect(shownId('exception/acme-dental/acme-dental-20261129-1a2b3c4')).toEqual({ kind: 'exception', id: 'acme-dental/acme-dental-20261129-1a2b3c4' });
    expect(shownId('cycle/acme-dental/x/ring/pilot')).toEqual({ kind: 'workflow', id: 'cycle/acme-dental/x/ring/pilot' });
  });

  it('points an exception that is already running at `exception show`, a cycle at `cycle status`', () => {
    const exception = describeError(new WorkflowExecutionAlreadyStartedError('already started', 'exception/riverside-dental/riverside-dental-20261201-abc1234', 'patchException'));
    expect(exception.message).toBe('exception riverside-dental/riverside-dental-20261201-abc1234 is already running');
    expect(exception.fix).toContain('patchctl exception show riverside-dental/riverside-dental-20261201-abc1234');
    expect(exception.fix).not.toContain('cycle status');
    const cycle = describeError(new WorkflowExecutionAlreadyStartedError('already started', 'cycle/acme-dental/x', 'patchCycle'));
    expect(cycle.fix).toContain('patchctl cycle status acme-dental/x');
  });

  it('sends a missing exception to `exception list`', () => {
    const report = describeError(new WorkflowNotFoundError('not found', 'exception/acme-dental/nope', undefined));
    expect(report).toMatchObject({ exitCode: 3, message: 'no exception acme-dental/nope on this Temporal namespace' });
    expect(report.fix).toContain('patchctl exception list');
  });
});
