import { Command } from 'commander';
import { addOptions, parseOptions, type CrossProblem, type OptionSpecs, type OptionsOf } from './option-spec';

export interface CommandDefinition<S extends OptionSpecs, A extends string[]> {
  name: string;
  description: string;
  /** Positional arguments, commander syntax (`<id>`, `[file]`) with their help. */
  args?: { [K in keyof A]: [syntax: string, description: string] };
  options: S;
  check?: (opts: OptionsOf<S>) => CrossProblem[];
  /**
   * What the command does. Load what it needs inside (dynamic import): every command is registered
   * for every run, so a top-level import of pg or the Temporal client would slow `patchctl --help`.
   */
  run: (opts: OptionsOf<S>, ...args: A) => Promise<void>;
}

/** A commander command whose options are declared once and validated before `run`. */
export function defineCommand<S extends OptionSpecs, A extends string[] = []>(def: CommandDefinition<S, A>): Command {
  const command = new Command(def.name).description(def.description);
  for (const [syntax, description] of (def.args ?? []) as [string, string][]) command.argument(syntax, description);
  addOptions(command, def.options);
  const arity = def.args?.length ?? 0;
  command.action(async (...received: unknown[]) => {
    const args = received.slice(0, arity) as A;
    const raw = received[arity] as Record<string, unknown>;
    const opts = await parseOptions(def.options, raw, def.check);
    await def.run(opts, ...args);
  });
  return command;
}
