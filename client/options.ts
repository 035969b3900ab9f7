import type { z } from 'zod';
import type { InputProblem } from '../config/problems';
import { badInput } from './errors';

// Kept for the demo command, which still validates a zod object of its own; new commands declare
// their options once with client/cli/option-spec.ts.

function flagFor(key: PropertyKey): string {
  return `--${String(key).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

export function parseOptions<S extends z.ZodType>(schema: S, raw: Record<string, unknown>): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const problems: InputProblem[] = parsed.error.issues.map((issue) => {
    const key = issue.path[0];
    const value = key === undefined ? undefined : raw[key as string];
    return { path: key === undefined ? '(options)' : flagFor(key), message: `${issue.message}, ${value === undefined ? 'got nothing' : `got "${typeof value === 'string' ? value : JSON.stringify(value)}"`}` };
  });
  throw badInput(problems.length === 1 ? 'invalid option' : 'invalid options', 'run the command with --help to see the accepted values', problems);
}
