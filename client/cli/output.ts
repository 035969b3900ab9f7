// cli-table3 and cli-progress are loaded when first used: most runs (`--help`, `--json`) need neither.
/* eslint-disable @typescript-eslint/no-require-imports */

// With --json, stdout carries exactly one JSON document and nothing else: everything meant for a
// human (notices, progress) goes to stderr then.
let jsonMode = false;

export function setJsonMode(on: boolean): void {
  jsonMode = on;
}

export function isJsonMode(): boolean {
  return jsonMode;
}

export function printJson(doc: unknown): void {
  process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
}

/** A human notice: stdout normally, stderr under --json so the document stays parseable. */
export function info(text: string): void {
  (jsonMode ? process.stderr : process.stdout).write(`${text}\n`);
}

export function printTable(headers: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number | boolean | null | undefined>>): void {
  const Table = require('cli-table3') as typeof import('cli-table3');
  const table = new Table({ head: [...headers], style: { head: [], border: [] } });
  for (const row of rows) table.push(row.map((cell) => (cell === null || cell === undefined ? '' : String(cell))));
  process.stdout.write(`${table.toString()}\n`);
}

export interface ProgressBar {
  update(value: number, label?: string): void;
  increment(by?: number): void;
  setTotal(total: number): void;
}

export interface Progress {
  /** false when stderr is not a terminal: bars are then silent no-ops. */
  readonly enabled: boolean;
  bar(label: string, total: number): ProgressBar;
  stop(): void;
}

const silentBar: ProgressBar = { update() {}, increment() {}, setTotal() {} };

/** Progress bars on stderr; invisible in pipes, CI logs and tests so their output stays clean. */
export function createProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return { enabled: false, bar: () => silentBar, stop() {} };
  const { MultiBar, Presets } = require('cli-progress') as typeof import('cli-progress');
  const multi = new MultiBar(
    { stream, hideCursor: true, clearOnComplete: false, format: ' {bar} {percentage}% | {value}/{total} | {label}' },
    Presets.shades_classic,
  );
  return {
    enabled: true,
    bar(label, total) {
      const bar = multi.create(total, 0, { label });
      return {
        update: (value, next) => bar.update(value, next === undefined ? undefined : { label: next }),
        increment: (by = 1) => bar.increment(by),
        setTotal: (next) => bar.setTotal(next),
      };
    },
    stop: () => multi.stop(),
  };
}
/* eslint-enable @typescript-eslint/no-require-imports */
