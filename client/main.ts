#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, type CommanderError } from 'commander';
import { repoRoot } from '../config/repo-root';
import { registerCommands } from './cli/program';
import { badInput, handleCliError } from './errors';
import { setJsonMode } from './cli/output';

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** Usage mistakes become bad input that points at the help of the command that was mistyped. */
function usageError(err: CommanderError, commandPath: string): Error {
  if (err.exitCode === 0 || err.code === 'commander.help') return err;
  return badInput(err.message.replace(/^error:\s*/, ''), `see \`${commandPath} --help\``);
}

/** Every command throws instead of exiting, and leaves error printing to the one handler. */
function applyErrorPolicy(command: Command, path: string[] = []): void {
  const here = [...path, command.name()];
  command.exitOverride((err) => {
    throw usageError(err, here.join(' '));
  });
  command.configureOutput({ outputError: () => undefined });
  command.showSuggestionAfterError(true);
  for (const sub of command.commands) applyErrorPolicy(sub, here);
}

export function buildProgram(): Command {
  const program = new Command('patchctl')
    .description('durable, ring-based, audit-ready patch rollouts for MSPs, on Temporal')
    .version(packageVersion(), '-V, --version', 'print the patchctl version')
    .helpCommand(true)
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 the operation failed, 2 bad input, 3 not found, 4 not allowed.\n' +
        'With --json a command prints exactly one JSON document on stdout (errors too).',
    );
  registerCommands(program, applyErrorPolicy);
  applyErrorPolicy(program);
  return program;
}

/** Runs the CLI and returns the exit code (never throws). */
export async function main(argv: string[] = process.argv): Promise<number> {
  // Known before parsing so that even a parse error is reported as JSON.
  const json = argv.slice(2).includes('--json');
  setJsonMode(json);
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (err) {
    return handleCliError(err, { json });
  }
}

if (require.main === module) {
  void main().then((code) => {
    // Exit explicitly: a pool or gRPC channel left open must not keep a finished command alive.
    process.stdout.write('', () => process.exit(code));
  });
}
