import { CommanderError } from 'commander';
import type { ZodError } from 'zod';
import { ApplicationFailure, NamespaceNotFoundError, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/common';
import type { PolicyError } from '../config/load-policy';
import { problemsFromZod, type InputProblem } from '../config/problems';
import { MissingBinaryError } from '../config/temporal-binaries';
import * as failureCatalog from '../domain/failure-catalog';
import type { ExitCode } from '../domain/failure-catalog';
import { shownId } from './ids';

type Outcome = Exclude<keyof typeof failureCatalog.ExitCode, 'ok'>;

const catalog = () => failureCatalog;

/** A gRPC error from the Temporal client, recognised by shape: the client itself loads only in commands that talk to Temporal. */
function isGrpcServiceError(err: unknown): err is Error & { code: number; details: string } {
  return err instanceof Error && typeof (err as { details?: unknown }).details === 'string' && typeof (err as { metadata?: unknown }).metadata === 'object';
}

export class CliError extends Error {
  private readonly outcome: Outcome | ExitCode;
  constructor(
    message: string,
    /** An outcome of the catalog's ExitCode table, or its number. */
    outcome: Outcome | ExitCode,
    readonly fix?: string,
    readonly problems?: InputProblem[],
  ) {
    super(message);
    this.name = 'CliError';
    this.outcome = outcome;
  }

  get exitCode(): ExitCode {
    return typeof this.outcome === 'number' ? this.outcome : catalog().ExitCode[this.outcome];
  }
}

export function badInput(message: string, fix?: string, problems?: InputProblem[]): CliError {
  return new CliError(message, 'badInput', fix, problems);
}
export function notFound(message: string, fix?: string): CliError {
  return new CliError(message, 'notFound', fix);
}
export function notAllowed(message: string, fix?: string): CliError {
  return new CliError(message, 'notAllowed', fix);
}
export function failed(message: string, fix?: string): CliError {
  return new CliError(message, 'failed', fix);
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
  const { ExitCode } = catalog();
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
  { match: /has no assets in inventory/, fix: 'import it first: `patchctl inventory import FILE --client ID`' },
];

function fromFailureType(err: unknown): ErrorReport | undefined {
  const { exitCodeFor, isCatalogued } = catalog();
  for (const link of causeChain(err)) {
    if (link instanceof ApplicationFailure && isCatalogued(link.type)) {
      return { message: link.message, exitCode: exitCodeFor(link.type), fix: REFUSAL_FIXES.find((f) => f.match.test(link.message))?.fix };
    }
  }
  return undefined;
}

/** Maps anything a command can throw onto the message, fix and exit code the user sees. */
export function describeError(err: unknown): ErrorReport {
  // `--help`, `help CMD` and `--version` go through the same exit override; they are successes (exit 0).
  if (err instanceof CommanderError && err.exitCode === 0) return { message: '', exitCode: 0 };
  const { ExitCode } = catalog();
  if (err instanceof CliError) return { message: err.message, exitCode: err.exitCode, fix: err.fix, problems: err.problems };
  if (err instanceof CommanderError) return fromCommander(err);
  // Matched by name, like the other heavy modules' errors: `--help` must not load zod or the Temporal client.
  if (err instanceof Error && err.name === 'ZodError') {
    const problems = problemsFromZod(err as ZodError, undefined);
    return { message: 'invalid input', exitCode: ExitCode.badInput, problems };
  }
  // Matched by name, like the codec's error: importing the loader here would load YAML and zod for `--help`.
  if (err instanceof Error && err.name === 'PolicyError') {
    const policyError = err as PolicyError;
    return { message: err.message, exitCode: ExitCode.badInput, fix: `fix each problem listed, then run \`patchctl config check ${policyError.file}\` again`, problems: policyError.problems };
  }
  if (err instanceof MissingBinaryError) return { message: err.message, exitCode: ExitCode.badInput, fix: err.fix };
  // Matched by name: importing the codec here would load it for every command, even `--help`.
  if (err instanceof Error && err.name === 'CodecKeyError') {
    return { message: err.message, exitCode: ExitCode.badInput, fix: (err as Error & { fix?: string }).fix };
  }
  if (err instanceof WorkflowNotFoundError) {
    const { kind, id } = shownId(err.workflowId);
    return { message: `no ${kind} ${id} on this Temporal namespace`, exitCode: ExitCode.notFound, fix: `check the id with \`patchctl ${kind} list\`` };
  }
  if (err instanceof NamespaceNotFoundError) {
    return { message: `Temporal namespace "${err.namespace}" does not exist`, exitCode: ExitCode.badInput, fix: 'set TEMPORAL_NAMESPACE to an existing namespace' };
  }
  if (err instanceof WorkflowExecutionAlreadyStartedError) {
    // The fix names the command for what is running: an exception is shown, a cycle has a status.
    const { kind, id } = shownId(err.workflowId);
    const command = kind === 'exception' ? `patchctl exception show ${id}` : kind === 'cycle' ? `patchctl cycle status ${id}` : `patchctl evidence replay ${id}`;
    return { message: `${kind === 'workflow' ? 'workflow ' : `${kind} `}${id} is already running`, exitCode: ExitCode.badInput, fix: `see it with \`${command}\`` };
  }
  const typed = fromFailureType(err);
  if (typed) return typed;
  // Matched by name: the Temporal client is loaded only by commands that talk to Temporal.
  if (err instanceof Error && err.name === 'WorkflowUpdateFailedError') {
    // A rejected update is the workflow's validator saying no; its reason is the useful message.
    const reason = (err.cause as Error | undefined)?.message ?? err.message;
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
    const detail = err.name === 'ServiceError' && err.cause instanceof Error ? err.cause.message : err.message;
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
  if (report.exitCode === 0) return report.exitCode;
  const { ExitCode } = catalog();
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
