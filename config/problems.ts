import type { z } from 'zod';

/** One thing wrong with an input, named by where it is, so the user can go and fix it. */
export interface InputProblem {
  /** Dotted path into the input, e.g. `rings.pilot.share`, or a CSV line like `line 7: os`. */
  path: string;
  message: string;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = input;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path.map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${String(key)}`)).join('');
}

/** Turns zod issues into problems that say the path, what was expected and what was found. */
export function problemsFromZod(error: z.ZodError, input: unknown, prefix = ''): InputProblem[] {
  return error.issues.map((issue) => {
    const path = issue.path as PropertyKey[];
    const got = valueAt(input, path);
    const message = issue.message.includes(', got ') || got === undefined && issue.code !== 'invalid_type'
      ? issue.message
      : `${issue.message}, got ${describe(got)}`;
    const where = formatPath(path);
    return { path: prefix && where ? `${prefix}.${where}` : prefix || where || '(root)', message };
  });
}

export function formatProblems(problems: readonly InputProblem[]): string {
  return problems.map((p) => `${p.path}: ${p.message}`).join('\n');
}
