import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { ENV_KEYS } from '../../config/env-schema';
import { repoRoot } from '../../config/repo-root';

// The production compose file cannot run here (no Docker engine), so these checks hold it to what
// patchctl actually reads and builds: a renamed variable, script or entry point fails here first.

const root = repoRoot(__dirname);
const composeText = readFileSync(join(root, 'docker-compose.yml'), 'utf8');
const dockerfileText = readFileSync(join(root, 'Dockerfile'), 'utf8');
const packageJson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  bin?: Record<string, string>;
  scripts?: Record<string, string>;
};

type Service = {
  image?: string;
  build?: unknown;
  command?: string | string[];
  environment?: Record<string, unknown> | string[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  volumes?: Array<string | { source?: string; target?: string }>;
  deploy?: { replicas?: number };
};
type Compose = { services: Record<string, Service> };

function parseCompose(text: string): Compose {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new Error(doc.errors.map((e) => e.message).join('\n'));
  return doc.toJS() as Compose;
}

function service(compose: Compose, name: string): Service {
  const found = compose.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service "${name}"`);
  return found;
}

function envNames(svc: Service): string[] {
  const env = svc.environment ?? {};
  return Array.isArray(env) ? env.map((entry) => entry.split('=')[0] ?? entry) : Object.keys(env);
}

/** Worker variables that nothing in patchctl reads: a typo or a stale name configures nothing. */
function unreadWorkerVariables(compose: Compose, known: readonly string[]): string[] {
  return envNames(service(compose, 'worker')).filter((name) => !known.includes(name));
}

function imagesUsingAutoSetup(compose: Compose): string[] {
  return Object.values(compose.services)
    .map((svc) => svc.image ?? '')
    .filter((image) => image.includes('auto-setup'));
}

/** Images without an explicit version: no tag, `latest`, or a tag that is only a variable. */
function unpinnedImages(compose: Compose): string[] {
  return Object.entries(compose.services)
    .filter(([, svc]) => svc.image !== undefined)
    .filter(([, svc]) => {
      const image = svc.image as string;
      const tag = image.includes('@') ? 'digest' : image.split('/').pop()?.split(':')[1];
      return !tag || tag === 'latest' || tag.includes('$');
    })
    .map(([name, svc]) => `${name}: ${svc.image}`);
}

function dependencyCondition(compose: Compose, from: string, on: string): string | undefined {
  const deps = service(compose, from).depends_on;
  if (!deps) return undefined;
  if (Array.isArray(deps)) return deps.includes(on) ? 'service_started' : undefined;
  return deps[on]?.condition ?? (on in deps ? 'service_started' : undefined);
}

function argv(command: string | string[] | undefined): string[] {
  if (command === undefined) return [];
  return Array.isArray(command) ? command : command.trim().split(/\s+/);
}

/** Why a container command would not start patchctl's worker, or undefined when it would. */
function workerCommandProblem(command: string[]): string | undefined {
  const [program, entry, subcommand] = command;
  if (program === 'npm') {
    const script = command[1] === 'run' ? command[2] : command[1];
    return script && packageJson.scripts?.[script] ? undefined : `package.json has no script "${script}"`;
  }
  if (program !== 'node' || !entry) return `expected "node <entry> worker" or "npm run <script>", got ${JSON.stringify(command)}`;
  if (!Object.values(packageJson.bin ?? {}).includes(entry)) return `${entry} is not a bin of package.json`;
  const source = entry.replace(/^dist\//, '').replace(/\.js$/, '.ts');
  if (!existsSync(join(root, source))) return `${entry} is built from ${source}, which does not exist`;
  if (subcommand !== 'worker') return `the CLI is started with "${subcommand}", not "worker"`;
  if (packageJson.scripts?.worker !== command.join(' ')) {
    return `"${command.join(' ')}" differs from the npm script worker ("${packageJson.scripts?.worker}")`;
  }
  return undefined;
}

interface BaseImage {
  image: string;
  stage: string | undefined;
}

/** FROM lines with ARG defaults substituted; FROM <earlier stage> lines are left out. */
function dockerfileBases(text: string): BaseImage[] {
  const args = new Map<string, string>();
  const stages = new Set<string>();
  const bases: BaseImage[] = [];
  for (const line of text.split('\n').map((l) => l.trim())) {
    const arg = /^ARG\s+(\w+)=(\S+)/i.exec(line);
    if (arg?.[1] && arg[2]) args.set(arg[1], arg[2]);
    const from = /^FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (!from?.[1]) continue;
    const image = from[1].replace(/\$\{?(\w+)\}?/g, (_, name: string) => args.get(name) ?? `$${name}`);
    if (!stages.has(image)) bases.push({ image, stage: from[2] });
    if (from[2]) stages.add(from[2]);
  }
  return bases;
}

/** Why a base image is not a pinned Debian-based Node >= 20, or undefined when it is. */
function baseImageProblem(image: string): string | undefined {
  const match = /^(?:docker\.io\/)?(?:library\/)?node:(\d+)(\S*)$/.exec(image);
  if (!match?.[1]) return `${image} is not an official node image with a version tag`;
  if (Number(match[1]) < 20) return `${image} is Node ${match[1]}; the SDK and package.json need >= 20`;
  if (/alpine/i.test(image)) return `${image} is Alpine (musl); the Temporal core bridge needs glibc`;
  return undefined;
}

function dockerfileCmd(text: string): string[] {
  const cmd = /^CMD\s+(\[.*\])\s*$/m.exec(text);
  return cmd?.[1] ? (JSON.parse(cmd[1]) as string[]) : [];
}

describe('docker-compose.yml', () => {
  const compose = parseCompose(composeText);

  it('parses as YAML and defines the production services', () => {
    expect(() => parseCompose('services:\n  worker: [unclosed\n')).toThrow();
    expect(Object.keys(compose.services).sort()).toEqual(
      expect.arrayContaining(['postgresql', 'temporal-admin-tools', 'temporal', 'temporal-ui', 'patchctl-db', 'smtp', 'worker']),
    );
  });

  it('does not use the deprecated temporalio/auto-setup image', () => {
    expect(imagesUsingAutoSetup(compose)).toEqual([]);
    expect(imagesUsingAutoSetup(parseCompose('services:\n  temporal:\n    image: temporalio/auto-setup:1.29.0\n'))).toEqual([
      'temporalio/auto-setup:1.29.0',
    ]);
  });

  it('sets on the worker only variables patchctl reads', () => {
    expect(envNames(service(compose, 'worker'))).toEqual(expect.arrayContaining(['TEMPORAL_ADDRESS', 'DATABASE_URL', 'PATCHCTL_CONFIG']));
    expect(unreadWorkerVariables(compose, ENV_KEYS)).toEqual([]);
    const typo = parseCompose('services:\n  worker:\n    environment:\n      TEMPORAL_ADRESS: temporal:7233\n');
    expect(unreadWorkerVariables(typo, ENV_KEYS)).toEqual(['TEMPORAL_ADRESS']);
  });

  it('starts the worker with an entry point the build produces and the npm script uses', () => {
    const command = argv(service(compose, 'worker').command);
    expect(workerCommandProblem(command)).toBeUndefined();
    expect(workerCommandProblem(['node', 'dist/client/cli.js', 'worker'])).toMatch(/not a bin/);
    expect(workerCommandProblem(['npm', 'run', 'start-worker'])).toMatch(/no script "start-worker"/);
  });

  it('mounts the policy file read-only where PATCHCTL_CONFIG points', () => {
    const worker = service(compose, 'worker');
    const env = worker.environment as Record<string, string>;
    const mounts = (worker.volumes ?? []).filter((v): v is string => typeof v === 'string');
    expect(mounts).toContain(`./patchctl.yaml:${env.PATCHCTL_CONFIG}:ro`);
  });

  it('runs more than one worker replica', () => {
    expect(service(compose, 'worker').deploy?.replicas).toBeGreaterThanOrEqual(2);
  });

  it('starts Temporal only after the schema one-shot completed successfully', () => {
    expect(dependencyCondition(compose, 'temporal', 'temporal-admin-tools')).toBe('service_completed_successfully');
    const racing = parseCompose('services:\n  temporal:\n    depends_on: [temporal-admin-tools]\n');
    expect(dependencyCondition(racing, 'temporal', 'temporal-admin-tools')).toBe('service_started');
  });

  it('sets up both Temporal databases with temporal-sql-tool from a script in the repo', () => {
    const mounts = (service(compose, 'temporal-admin-tools').volumes ?? []).filter((v): v is string => typeof v === 'string');
    const scripts = mounts.map((m) => m.split(':')[0] ?? '').filter((source) => source.endsWith('.sh'));
    expect(scripts.length).toBe(1);
    const script = readFileSync(join(root, scripts[0] as string), 'utf8');
    expect(script).toMatch(/temporal-sql-tool/);
    expect(script).toMatch(/update-schema/);
    expect(script).toContain('postgresql/v12');
    expect(script).toMatch(/migrate\s+"\$\{TEMPORAL_DBNAME:-temporal\}"/);
    expect(script).toMatch(/migrate\s+"\$\{TEMPORAL_VISIBILITY_DBNAME:-temporal_visibility\}"/);
    expect(service(compose, 'temporal-admin-tools').image).toMatch(/^temporalio\/admin-tools:/);
  });

  it('mounts only repository files that exist', () => {
    const repoMounts = Object.values(compose.services)
      .flatMap((svc) => svc.volumes ?? [])
      .filter((v): v is string => typeof v === 'string' && v.startsWith('./deploy/'))
      .map((v) => v.split(':')[0] as string);
    expect(repoMounts.length).toBeGreaterThan(0);
    expect(repoMounts.filter((source) => !existsSync(join(root, source)))).toEqual([]);
  });

  it('pins every image to a version', () => {
    expect(unpinnedImages(compose)).toEqual([]);
    const loose = parseCompose('services:\n  a:\n    image: postgres\n  b:\n    image: temporalio/ui:latest\n  c:\n    image: boky/postfix:5.1.0\n');
    expect(unpinnedImages(loose)).toEqual(['a: postgres', 'b: temporalio/ui:latest']);
  });
});

describe('Dockerfile', () => {
  it('builds on a pinned Debian-based Node 20 or newer, never Alpine', () => {
    const bases = dockerfileBases(dockerfileText);
    expect(bases.length).toBeGreaterThan(0);
    expect(bases.map((b) => baseImageProblem(b.image)).filter(Boolean)).toEqual([]);
    expect(bases.every((b) => !b.image.endsWith(':latest') && /:\d+\.\d+\.\d+/.test(b.image))).toBe(true);
    expect(baseImageProblem('node:20-alpine')).toMatch(/Alpine/);
    expect(baseImageProblem('node:18-bookworm-slim')).toMatch(/Node 18/);
  });

  it('runs the same worker command as the compose file, as a non-root user', () => {
    expect(dockerfileCmd(dockerfileText)).toEqual(argv(service(parseCompose(composeText), 'worker').command));
    expect(workerCommandProblem(dockerfileCmd(dockerfileText))).toBeUndefined();
    const users = [...dockerfileText.matchAll(/^USER\s+(\S+)/gm)].map((m) => m[1]);
    expect(users.at(-1)).toBeDefined();
    expect(['root', '0']).not.toContain(users.at(-1));
  });

  it('installs from the lockfile, builds the workflow bundle and drops dev dependencies', () => {
    expect(dockerfileText).toMatch(/^RUN npm ci\b/m);
    expect(dockerfileText).toMatch(/npm run build\b/);
    expect(packageJson.scripts?.build).toMatch(/bundle-workflows/);
    expect(dockerfileText).toMatch(/npm prune --omit=dev/);
  });

  it('ships the SQL migrations the store reads from the source path at runtime', () => {
    expect(dockerfileText).toMatch(/COPY\s+(--from=\S+\s+)?\S*activities\/store\/migrations\s+\S*activities\/store\/migrations/);
    expect(statSync(join(root, 'activities', 'store', 'migrations')).isDirectory()).toBe(true);
  });
});

describe('.ci/run', () => {
  it('is an executable bash script that fails fast and runs the test command', () => {
    const file = join(root, '.ci', 'run');
    expect(statSync(file).mode & 0o111).not.toBe(0);
    const text = readFileSync(file, 'utf8');
    expect(text.startsWith('#!/usr/bin/env bash')).toBe(true);
    expect(text).toMatch(/^set -euo pipefail$/m);
    expect(text).toMatch(/^npm ci$/m);
    expect(text).toMatch(/^npm test$/m);
  });
});
