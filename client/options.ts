import type { z } from 'zod';
import { badInput } from './errors';
import type { InputProblem } from '../config/problems';

/** commander's camelCase option key back to the flag the user typed. */
function flagFor(key: PropertyKey): string {
  return `--${String(key).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * Validates commander's parsed options with a zod schema. Options are outside input: a bad one is
 * refused as `--flag: message, got "value"` and the command exits 2.
 */
export function parseOptions<S extends z.ZodType>(schema: S, raw: Record<string, unknown>): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const problems: InputProblem[] = parsed.error.issues.map((issue) => {
    const key = issue.path[0];
    const path = key === undefined ? '(options)' : flagFor(key);
    const value = key === undefined ? undefined : raw[key as string];
    const got = value === undefined ? 'got nothing' : `got "${shown(value)}"`;
    return { path, message: `${issue.message}, ${got}` };
  });
  throw badInput(problems.length === 1 ? 'invalid option' : 'invalid options', 'run the command with --help to see the accepted values', problems);
}
