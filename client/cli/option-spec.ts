import { Option, type Command } from 'commander';
import type { z, ZodType } from 'zod';
import type * as Duration from '../../config/duration';
import type * as PolicySchema from '../../config/policy-schema';
import type { InputProblem } from '../../config/problems';
import { badInput } from '../errors';

/** What an option's schema is built from when its command runs (never for `--help`). */
export interface SchemaKit {
  z: typeof z;
  policy: typeof PolicySchema;
  duration: typeof Duration;
}

/**
 * One option, declared once: commander registers `flags` and `description`, zod validates the value
 * with `schema`. `required` and `default` are said here only; the schema describes the value itself.
 * The schema is a function so that `patchctl --help` loads neither zod nor the policy schema.
 */
export interface OptionSpec<T extends ZodType = ZodType, Present extends boolean = boolean> {
  flags: string;
  description: string;
  schema: (kit: SchemaKit) => T;
  required?: boolean;
  /** Passed to commander as typed text; the schema coerces it like a typed value. */
  default?: string;
  /** Repeatable (`--cors-origin a --cors-origin b`): the values arrive as an array. */
  repeatable?: boolean;
  /** Type-level only: whether the parsed value is always there. */
  readonly present?: Present;
}

export type OptionSpecs = Record<string, OptionSpec>;

type ValueOf<S> = S extends OptionSpec<infer T, infer P> ? (P extends true ? z.output<T> : z.output<T> | undefined) : never;
export type OptionsOf<S extends OptionSpecs> = { [K in keyof S]: ValueOf<S[K]> };

interface More {
  required?: boolean;
  default?: string;
  repeatable?: boolean;
}
type PresentFor<M> = M extends { required: true } ? true : M extends { default: string } ? true : false;

export function option<T extends ZodType, M extends More = object>(flags: string, description: string, schema: (kit: SchemaKit) => T, more?: M): OptionSpec<T, PresentFor<M>> {
  return { flags, description, schema, ...more } as OptionSpec<T, PresentFor<M>>;
}

/** Registers each spec with commander. A key that is not the flag's attribute name is a programming error. */
export function addOptions(command: Command, specs: OptionSpecs): Command {
  for (const [key, spec] of Object.entries(specs)) {
    // Required options are checked by zod, after commander: a typo'd flag is then reported as the
    // unknown option it is, not as the required one it was meant to be.
    const opt = new Option(spec.flags, spec.required ? `${spec.description} (required)` : spec.description);
    if (opt.attributeName() !== key) throw new Error(`option ${spec.flags} is declared under "${key}", expected "${opt.attributeName()}"`);
    if (spec.default !== undefined) opt.default(spec.default);
    if (spec.repeatable) opt.argParser((value: string, previous: unknown) => [...(Array.isArray(previous) ? (previous as string[]) : []), value]);
    command.addOption(opt);
  }
  return command;
}

/** The flag as the user types it, from the spec (its long form). */
export function flagOf(spec: OptionSpec): string {
  return new Option(spec.flags).long ?? spec.flags;
}

function shown(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** A problem found across options (e.g. `--severity` with `--patch`), named by the option key. */
export interface CrossProblem {
  key: string;
  message: string;
}

/**
 * Validates commander's parsed options against the specs. Options are outside input: a bad one is
 * refused as `--flag: message, got "value"` and the command exits 2.
 */
export async function parseOptions<S extends OptionSpecs>(
  specs: S,
  raw: Record<string, unknown>,
  check?: (opts: OptionsOf<S>) => CrossProblem[],
): Promise<OptionsOf<S>> {
  const { kit } = await import('./schema-kit.js');
  const { z } = kit;
  const shape: Record<string, ZodType> = {};
  for (const [key, spec] of Object.entries(specs)) {
    const schema = spec.schema(kit);
    shape[key] = spec.required || spec.default !== undefined ? schema : schema.optional();
  }
  const problems: InputProblem[] = [];
  const parsed = await z.object(shape).safeParseAsync(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = issue.path[0] as string | undefined;
      const spec = key === undefined ? undefined : specs[key];
      const value = key === undefined ? undefined : raw[key];
      const path = spec ? flagOf(spec) : '(options)';
      problems.push({ path, message: value === undefined ? 'is required' : `${issue.message}, got "${shown(value)}"` });
    }
  } else if (check) {
    for (const p of check(parsed.data as OptionsOf<S>)) {
      const spec = specs[p.key];
      problems.push({ path: spec ? flagOf(spec) : p.key, message: p.message });
    }
  }
  if (problems.length > 0) {
    throw badInput(problems.length === 1 ? 'invalid option' : 'invalid options', 'run the command with --help to see the accepted values', problems);
  }
  return parsed.data as OptionsOf<S>;
}
