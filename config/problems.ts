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

/** A short, printable rendering of a value; never throws (YAML aliases can make cyclic input). */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = Array.isArray(value) ? '[…a list that contains itself…]' : '{…a mapping that contains itself…}';
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path.map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${String(key)}`)).join('');
}

const TYPE_WORDS: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'a mapping of keys to values',
  array: 'a list',
  record: 'a mapping of keys to values',
  bigint: 'a number',
  date: 'a date',
};

function listValues(values: readonly unknown[]): string {
  return values.map((v) => (typeof v === 'string' ? v : describeValue(v))).join(', ');
}

function bound(issue: { origin?: string; inclusive?: boolean }, limit: unknown, side: 'min' | 'max'): string {
  const n = Number(limit);
  const inclusive = issue.inclusive !== false;
  switch (issue.origin) {
    case 'array':
    case 'set':
      return side === 'min' ? `must list at least ${inclusive ? n : n + 1} item${n === 1 ? '' : 's'}` : `must list at most ${inclusive ? n : n - 1} items`;
    case 'string':
      if (side === 'min' && n <= 1) return 'must not be empty';
      return side === 'min' ? `must be at least ${n} characters` : `must be at most ${n} characters`;
    default:
      if (side === 'min') return inclusive ? `must be at least ${n}` : `must be more than ${n}`;
      return inclusive ? `must be at most ${n}` : `must be less than ${n}`;
  }
}

/**
 * The project's words for each kind of zod issue, used where a schema did not choose its own
 * message: zod's "expected string, received number" means nothing to someone editing YAML.
 */
export const projectWords: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type': {
      const expected = TYPE_WORDS[issue.expected] ?? issue.expected;
      return issue.input === undefined ? `missing; expected ${expected}` : `expected ${expected}`;
    }
    case 'invalid_value':
      return issue.values.length === 1 ? `expected ${listValues(issue.values)}` : `expected one of ${listValues(issue.values)}`;
    case 'invalid_union': {
      const options = (issue as { options?: unknown[] }).options;
      return options ? `expected one of ${listValues(options)}` : 'does not match any of the accepted forms';
    }
    case 'too_small':
      return bound(issue, issue.minimum, 'min');
    case 'too_big':
      return bound(issue, issue.maximum, 'max');
    case 'invalid_format':
      return issue.format === 'email' ? 'must be an e-mail address' : `must be in ${issue.format} format`;
    case 'not_multiple_of':
      return `must be a multiple of ${String(issue.divisor)}`;
    case 'unrecognized_keys':
      return 'unknown key';
    case 'invalid_key':
      return 'the key is not valid';
    case 'invalid_element':
      return 'holds an invalid entry';
    default:
      return 'is not valid here';
  }
};

type Def = { type: string; [key: string]: unknown };
const defOf = (schema: unknown): Def | undefined => (schema as { _zod?: { def?: Def } } | undefined)?._zod?.def;

/** The keys an object schema accepts at `path` (wrappers, pipes, arrays and unions looked through). */
export function keysAt(schema: unknown, path: readonly PropertyKey[]): string[] {
  const def = defOf(schema);
  if (!def) return [];
  switch (def.type) {
    case 'default':
    case 'prefault':
    case 'optional':
    case 'nullable':
    case 'readonly':
    case 'catch':
    case 'nonoptional':
      return keysAt(def.innerType, path);
    case 'pipe':
      return keysAt(def.in, path);
    case 'union':
      return [...new Set((def.options as unknown[]).flatMap((option) => keysAt(option, path)))];
    case 'object': {
      const shape = def.shape as Record<string, unknown>;
      if (path.length === 0) return Object.keys(shape);
      const [head, ...rest] = path;
      return keysAt(shape[String(head)], rest);
    }
    case 'array':
      return path.length === 0 ? [] : keysAt(def.element, path.slice(1));
    case 'record':
      return path.length === 0 ? [] : keysAt(def.valueType, path.slice(1));
    default:
      return [];
  }
}

function joinPath(prefix: string, path: readonly PropertyKey[]): string {
  const where = formatPath(path);
  return prefix && where ? `${prefix}.${where}` : prefix || where || '(root)';
}

function withValue(message: string, got: unknown): string {
  if (message.includes(', got ')) return message;
  if (got === undefined) return message;
  return `${message}, got ${describeValue(got)}`;
}

/**
 * Turns zod issues into problems that say the exact path, what was expected and what was found.
 * Pass the schema to name the allowed keys where an unknown one was found.
 */
export function problemsFromZod(error: z.ZodError, input: unknown, prefix = '', schema?: z.ZodType): InputProblem[] {
  return error.issues.flatMap((issue): InputProblem[] => {
    const path = issue.path as PropertyKey[];
    if (issue.code === 'unrecognized_keys') {
      const allowed = schema ? keysAt(schema, path) : [];
      const expected = allowed.length > 0 ? `; expected one of ${allowed.join(', ')}` : '';
      return issue.keys.map((key) => ({ path: joinPath(prefix, [...path, key]), message: `unknown key${expected}` }));
    }
    if (issue.code === 'invalid_key') {
      // The record key itself is what is wrong; its value is beside the point.
      const inner = issue.issues[0]?.message ?? 'is not valid';
      return [{ path: joinPath(prefix, path), message: `the key ${inner}, got ${describeValue(path[path.length - 1])}` }];
    }
    let message = issue.message;
    const got = valueAt(input, path);
    if (got === undefined && issue.code === 'invalid_type' && issue.expected === 'object' && schema) {
      const keys = keysAt(schema, path);
      if (keys.length > 0) message = `missing; expected a mapping with ${keys.join(', ')}`;
    }
    if (got === undefined && (issue.code === 'invalid_type' || issue.code === 'invalid_value') && !message.startsWith('missing')) message = `missing; ${message}`;
    return [{ path: joinPath(prefix, path), message: withValue(message, got) }];
  });
}

export function formatProblems(problems: readonly InputProblem[]): string {
  return problems.map((p) => `${p.path}: ${p.message}`).join('\n');
}
