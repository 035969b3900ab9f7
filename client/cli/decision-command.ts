import type { Command } from 'commander';
import type { DecisionAccepted } from '../../workflows/cycle/messages';
import type { ExceptionStatus } from '../../domain/exception/exception';
import type { CycleDecision, ExceptionDecision } from '../use-cases/decide';
import { defineCommand } from './define-command';
import { deciderOption, jsonOption, keyOption } from './fragments';
import type { OptionSpecs, OptionsOf } from './option-spec';
import { info, printJson } from './output';

interface Printed {
  json: Record<string, unknown>;
  text: string;
}

type Base = { as: ReturnType<typeof deciderOption>; key: ReturnType<typeof keyOption>; json: ReturnType<typeof jsonOption> };

interface DecisionCommand<S extends OptionSpecs, D, R> {
  name: string;
  description: string;
  /** Who decides, for `--as` (e.g. "an approver"). */
  role: string;
  /** What `--key` signs (e.g. "the approval"). */
  signs: string;
  /** What `--json` prints. */
  json: string;
  options: S;
  decision: (opts: OptionsOf<S & Base>) => D;
  print: (id: string, opts: OptionsOf<S & Base>, result: R) => Printed;
}

function base(def: { role: string; signs: string; json: string }): Base {
  return { as: deciderOption(def.role), key: keyOption(def.signs), json: jsonOption(def.json) };
}

/** approve, reject, decide: a decision on a cycle, optionally signed, through the decide use case. */
export function cycleDecisionCommand<S extends OptionSpecs>(def: DecisionCommand<S, CycleDecision, DecisionAccepted>): Command {
  return defineCommand<S & Base, [string]>({
    name: def.name,
    description: def.description,
    args: [['<id>', 'cycle id (CLIENT/NAME)']],
    options: { ...def.options, ...base(def) },
    run: async (opts, id) => {
      const { decideCycle } = (await import('../use-cases/decide.js'));
      const { shownCycleId } = (await import('../ids.js'));
      const shown = shownCycleId(id);
      const result = await decideCycle(id, def.decision(opts), opts.key);
      const printed = def.print(shown, opts, result);
      if (opts.json) printJson(printed.json);
      else info(printed.text);
    },
  });
}

/** signoff, approve: a decision on an exception, through the same use case. */
export function exceptionDecisionCommand<S extends OptionSpecs>(def: DecisionCommand<S, ExceptionDecision, { ref: string; status: ExceptionStatus }>): Command {
  return defineCommand<S & Base, [string]>({
    name: def.name,
    description: def.description,
    args: [['<id>', 'exception id (CLIENT/ID)']],
    options: { ...def.options, ...base(def) },
    run: async (opts, id) => {
      const { decideException } = (await import('../use-cases/decide.js'));
      const result = await decideException(id, def.decision(opts), opts.key);
      const printed = def.print(result.ref, opts, result);
      if (opts.json) printJson(printed.json);
      else info(printed.text);
    },
  });
}
