import { CommanderError } from 'commander';
import { ZodError } from 'zod';
import { isGrpcServiceError, ServiceError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure, NamespaceNotFoundError, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/common';
import { PolicyError } from '../config/load-policy';
import { MissingBinaryError } from '../config/temporal-binaries';
import { problemsFromZod, type InputProblem } from '../config/problems';
import { ExitCode, exitCodeFor, isCatalogued } from '../domain/failure-catalog';

export { ExitCode } from '../domain/failure-catalog';

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    readonly fix?: string,
    readonly problems?: InputProblem[],
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export function badInput(message: string, fix?: string, problems?: InputProblem[]): CliError {
  return new CliError(message, ExitCode.badInput, fix, problems);
}
export function notFound(message: string, fix?: string): CliError {
  return new CliError(message, ExitCode.notFound, fix);
}
export function notAllowed(message: string, fix?: string): CliError {
  return new CliError(message, ExitCode.notAllowed, fix);
}
export function failed(message: string, fix?: string): CliError {
  return new CliError(message, ExitCode.failed, fix);
}

export const START_STACK_FIX =
  'start one with `patchctl dev` in this directory (or `npm run dev`), or set TEMPORAL_ADDRESS and DATABASE_URL';

interface ErrorReport {
  message: string;
  exitCode: ExitCode;
  fix?: string;
  problems?: InputProblem[];
}

function causeChain(err: unknown): unknown[] {
  const chain: unknown[] = [];
  let current: unknown = err;
  while (current && chain.length < 8 && !chain.includes(current)) {
    chain.push(current);
    current = (current as { cause?: unknown }).cause;
  }
  return chain;
}

function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** ECONNREFUSED from pg (Node may wrap the IPv4 and IPv6 attempts in an AggregateError). */
function refusedAddress(err: unknown): string | undefined {
  for (const link of causeChain(err)) {
    if (errorCode(link) === 'ECONNREFUSED') {
      const { address, port } = link as { address?: string; port?: number };
      if (address) return port ? `${address}:${port}` : address;
      const inner = (link as { errors?: unknown[] }).errors?.[0];
      const nested = inner ? refusedAddress(inner) : undefined;
      return nested ?? 'the database';
    }
  }
  return undefined;
}

function fromCommander(err: CommanderError): ErrorReport {
  // `--help`, `help CMD` and `--version` go through the same exit override; they are successes.
  if (err.exitCode === 0) return { message: '', exitCode: ExitCode.ok };
  if (err.code === 'commander.help') {
    return { message: 'a subcommand is required', exitCode: ExitCode.badInput, fix: 'pick one of the commands listed above' };
  }
  const message = err.message.replace(/^error:\s*/, '');
  return { message, exitCode: ExitCode.badInput, fix: 'run the command with --help to see its arguments and options' };
}

/** Workflow refusals say what is wrong; the CLI adds how to fix it with its options. */
const REFUSAL_FIXES: { match: RegExp; fix: string }[] = [
  { match: /^policy requires signed approvals/, fix: 'sign with your key: --key FILE or PATCHCTL_SIGNING_KEY_FILE (create one with `patchctl keys generate`)' },
  { match: /^until: /, fix: 'pass a --until within the limits the message names' },
];

function fromFailureType(err: unknown): ErrorReport | undefined {
  for (const link of causeChain(err)) {
    if (link instanceof ApplicationFailure && isCatalogued(link.type)) {
      return { message: link.message, exitCode: exitCodeFor(link.type), fix: REFUSAL_FIXES.find((f) => f.match.test(link.message))?.fix };
    }
  }
  return undefined;
}

/** Maps anything a command can throw onto the message, fix and exit code the user sees. */
export function describeError(err: unknown): ErrorReport {
  if (err instanceof CliError) return { message: err.message, exitCode: err.exitCode, fix: err.fix, problems: err.problems };
  if (err instanceof CommanderError) return fromCommander(err);
  if (err instanceof ZodError) {
    const problems = problemsFromZod(err, undefined);
    return { message: 'invalid input', exitCode: ExitCode.badInput, problems };
  }
  if (err instanceof PolicyError) {
    return { message: err.message, exitCode: ExitCode.badInput, fix: `fix each problem listed, then run \`patchctl config check ${err.file}\` again`, problems: err.problems };
  }
  if (err instanceof MissingBinaryError) return { message: err.message, exitCode: ExitCode.badInput, fix: err.fix };
  // Matched by name: importing the codec here would load it for every command, even `--help`.
  if (err instanceof Error && err.name === 'CodecKeyError') {
    return { message: err.message, exitCode: ExitCode.badInput, fix: (err as Error & { fix?: string }).fix };
  }
  if (err instanceof WorkflowNotFoundError) {
    return { message: `no workflow ${err.workflowId} on this Temporal namespace`, exitCode: ExitCode.notFound, fix: 'check the id with `patchctl cycle list`' };
  }
  if (err instanceof NamespaceNotFoundError) {
    return { message: `Temporal namespace "${err.namespace}" does not exist`, exitCode: ExitCode.badInput, fix: 'set TEMPORAL_NAMESPACE to an existing namespace' };
  }
  if (err instanceof WorkflowExecutionAlreadyStartedError) {
    return { message: `${err.workflowId} is already running`, exitCode: ExitCode.badInput, fix: `see it with \`patchctl cycle status ${err.workflowId}\`` };
  }
  const typed = fromFailureType(err);
  if (typed) return typed;
  if (err instanceof WorkflowUpdateFailedError) {
    // A rejected update is the workflow's validator saying no; its reason is the useful message.
    const reason = err.cause?.message ?? err.message;
    return { message: reason, exitCode: ExitCode.notAllowed };
  }
  for (const link of causeChain(err)) {
    if (isGrpcServiceError(link)) {
      // 5 = NOT_FOUND, 14 = UNAVAILABLE (nothing listening at the address)
      if (link.code === 5) return { message: link.details || link.message, exitCode: ExitCode.notFound };
      if (link.code === 14) {
        return { message: `cannot reach the Temporal server: ${link.details || link.message}`, exitCode: ExitCode.badInput, fix: START_STACK_FIX };
      }
    }
  }
  // grpc-js gives up waiting for the channel with a plain Error; the worker's native core reports tonic's.
  if (err instanceof Error && /failed to connect|tcp connect error|tonic::transport/i.test(err.message)) {
    const detail = err instanceof ServiceError && err.cause ? err.cause.message : err.message;
    return { message: `cannot reach the Temporal server: ${detail}`, exitCode: ExitCode.badInput, fix: START_STACK_FIX };
  }
  const refused = refusedAddress(err);
  if (refused) {
    return { message: `connection refused by ${refused} (PostgreSQL not running?)`, exitCode: ExitCode.badInput, fix: START_STACK_FIX };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { message: message || 'unexpected error', exitCode: ExitCode.failed };
}

export interface ErrorOutput {
  json: boolean;
  stdout?: (text: string) => void;
  stderr?: (text: string) => void;
}

/** Prints the error the way the CLI contract says and returns the exit code to leave with. */
export function handleCliError(err: unknown, { json, stdout, stderr }: ErrorOutput): ExitCode {
  const report = describeError(err);
  if (report.exitCode === ExitCode.ok) return report.exitCode;
  const out = stdout ?? ((text: string) => process.stdout.write(text));
  const errOut = stderr ?? ((text: string) => process.stderr.write(text));
  if (json) {
    const doc = { error: { message: report.message, fix: report.fix ?? null, problems: report.problems ?? [], exitCode: report.exitCode } };
    out(`${JSON.stringify(doc, null, 2)}\n`);
    return report.exitCode;
  }
  const lines = [`error: ${report.message}`];
  for (const problem of report.problems ?? []) lines.push(`  ${problem.path}: ${problem.message}`);
  if (report.fix) lines.push(`  fix: ${report.fix}`);
  if (report.exitCode === ExitCode.failed && process.env.PATCHCTL_DEBUG && err instanceof Error && err.stack) lines.push(err.stack);
  errOut(`${lines.join('\n')}\n`);
  return report.exitCode;
}
