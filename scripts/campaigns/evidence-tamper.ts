/*
 * evidence-tamper (issue 9): every way of changing a signed bundle after export, checked the way an
 * auditor checks it (the trust anchor, every file, the signature). Each must be detected, and the
 * refusal must name the file that was changed.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { zipSync } from 'fflate';
import { zipBundle } from '../../activities/evidence/bundle-zip';
import { bundleFiles, MANIFEST, SIGNATURE, writeManifest } from '../../activities/evidence/manifest';
import { generateSigningKeyPair, parseEd25519Key, type KeyPairPem } from '../../activities/evidence/signing';
import { checkEvidence, type EvidenceCheckOptions } from '../../activities/evidence/verify-evidence';
import { repoRoot } from '../../config/repo-root';
import type { CampaignFigures } from './support/campaign';

export interface EvidenceTamperOptions {
  /** How many committed histories go into the sample bundle (all of tests/replay/histories by default). */
  histories?: number;
}

interface Tamper {
  name: string;
  /** The file the refusal must name. */
  names: string;
  /** Changes a fresh copy of the bundle; returns the path to verify and how. */
  apply(bundle: string, work: string): { path: string; options?: EvidenceCheckOptions };
}

function makeBundle(dir: string, signer: KeyPairPem, histories: string[], extra: Record<string, string> = {}): void {
  const source = join(repoRoot(), 'tests', 'replay', 'histories');
  mkdirSync(join(dir, 'histories'), { recursive: true });
  for (const name of histories) copyFileSync(join(source, name), join(dir, 'histories', name));
  writeFileSync(join(dir, 'timeline.csv'), 'hostname,step,at\r\nclinic-ws-0001,verified,2026-11-29T03:10:00Z\r\n');
  writeFileSync(join(dir, 'decisions.json'), '{"decisions":[{"kind":"approval","ring":"pilot","by":"lead@msp.test"}]}\n');
  writeFileSync(join(dir, 'summary.md'), '# Evidence of cycle clinic/test-1\n');
  for (const [path, text] of Object.entries(extra)) writeFileSync(join(dir, path), text);
  writeManifest(dir, { cycleId: 'cycle/clinic/test-1', createdAt: '2026-11-29T03:00:00.000Z' }, parseEd25519Key(signer.privateKeyPem, 'private'));
}

function flipByte(file: string): void {
  const bytes = readFileSync(file);
  const at = Math.floor(bytes.length / 2);
  bytes[at] = bytes[at]! ^ 0x01;
  writeFileSync(file, bytes);
}

function editManifest(bundle: string, edit: (manifest: { files: { path: string; sha256: string; bytes: number }[] }) => void): void {
  const manifest = JSON.parse(readFileSync(join(bundle, MANIFEST), 'utf8'));
  edit(manifest);
  writeFileSync(join(bundle, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
}

function policyWith(publicKeyPem: string): string {
  const policy = parse(readFileSync(join(repoRoot(), 'tests', 'fixtures', 'policy-e2e.yaml'), 'utf8'));
  policy.msp.evidencePublicKey = publicKeyPem;
  return stringify(policy);
}

function tampers(files: string[], forger: KeyPairPem, histories: string[]): Tamper[] {
  const mspKeyOutside = (work: string) => join(work, 'msp.pub.pem');
  const withKey = (bundle: string, work: string) => ({ path: bundle, options: { publicKeyFile: mspKeyOutside(work), env: {}, cwd: work } });
  const forgedWith = (bundle: string) => {
    rmSync(bundle, { recursive: true, force: true });
    makeBundle(bundle, forger, histories, { 'patchctl.yaml': policyWith(forger.publicKeyPem), 'msp.pub.pem': forger.publicKeyPem });
  };
  return [
    ...[...files, MANIFEST, SIGNATURE].map((file) => ({
      name: `flipped byte in ${file}`,
      names: file,
      apply: (bundle: string, work: string) => {
        flipByte(join(bundle, ...file.split('/')));
        return withKey(bundle, work);
      },
    })),
    { name: 'removed file', names: 'summary.md', apply: (b, w) => (unlinkSync(join(b, 'summary.md')), withKey(b, w)) },
    { name: 'added file', names: 'histories/injected.json', apply: (b, w) => (writeFileSync(join(b, 'histories', 'injected.json'), '{"events":[]}'), withKey(b, w)) },
    {
      name: 'listed file replaced by a symlink to identical content',
      names: 'decisions.json',
      apply: (b, w) => {
        copyFileSync(join(b, 'decisions.json'), join(w, 'decisions.json'));
        unlinkSync(join(b, 'decisions.json'));
        symlinkSync(join(w, 'decisions.json'), join(b, 'decisions.json'));
        return withKey(b, w);
      },
    },
    { name: 'added symlink to a folder outside', names: 'outside', apply: (b, w) => (symlinkSync(w, join(b, 'outside')), withKey(b, w)) },
    { name: '".." path in the manifest', names: '../outside.txt', apply: (b, w) => (editManifest(b, (m) => m.files.push({ path: '../outside.txt', sha256: '0'.repeat(64), bytes: 0 })), withKey(b, w)) },
    { name: 'absolute path in the manifest', names: '/etc/hostname', apply: (b, w) => (editManifest(b, (m) => m.files.push({ path: '/etc/hostname', sha256: '0'.repeat(64), bytes: 0 })), withKey(b, w)) },
    {
      name: '".." entry in a zipped bundle',
      names: '../evil.json',
      apply: (b, w) => {
        const zip = join(w, 'bundle.zip');
        zipBundle(b, zip);
        const entries: Record<string, Uint8Array> = { '../evil.json': Buffer.from('{}') };
        for (const path of [...bundleFiles(b), MANIFEST, SIGNATURE]) entries[path] = readFileSync(join(b, ...path.split('/')));
        writeFileSync(zip, zipSync(entries));
        return { path: zip, options: { publicKeyFile: mspKeyOutside(w), env: {}, cwd: w } };
      },
    },
    { name: 're-signed bundle with its own patchctl.yaml, verified from inside it', names: 'patchctl.yaml', apply: (b) => (forgedWith(b), { path: b, options: { env: {}, cwd: b } }) },
    { name: 're-signed bundle, PATCHCTL_CONFIG pointing into it', names: 'patchctl.yaml', apply: (b, w) => (forgedWith(b), { path: b, options: { env: { PATCHCTL_CONFIG: join(b, 'patchctl.yaml') }, cwd: w } }) },
    { name: 're-signed bundle, --public-key of the key inside it', names: 'msp.pub.pem', apply: (b, w) => (forgedWith(b), { path: b, options: { publicKeyFile: join(b, 'msp.pub.pem'), env: {}, cwd: w } }) },
    { name: 're-signed bundle, checked with the MSP key', names: SIGNATURE, apply: (b, w) => (forgedWith(b), withKey(b, w)) },
  ];
}

export async function evidenceTamper(options: EvidenceTamperOptions = {}): Promise<CampaignFigures> {
  const all = readdirSync(join(repoRoot(), 'tests', 'replay', 'histories')).filter((f) => f.endsWith('.json')).sort();
  const histories = all.slice(0, options.histories ?? all.length);
  const msp = generateSigningKeyPair();
  const forger = generateSigningKeyPair();
  const root = mkdtempSync(join(tmpdir(), 'patchctl-evidence-tamper-'));
  const undetected: string[] = [];
  try {
    const pristine = join(root, 'pristine');
    makeBundle(pristine, msp, histories);
    const files = bundleFiles(pristine);
    const cases = tampers(files, forger, histories);
    // The control: the untouched bundle must verify, or every "detection" below means nothing.
    writeFileSync(join(root, 'msp.pub.pem'), msp.publicKeyPem);
    if (!checkEvidence(pristine, { publicKeyFile: join(root, 'msp.pub.pem'), env: {}, cwd: root }).result.ok) throw new Error('the untouched sample bundle does not verify');
    cases.forEach((tamper, i) => {
      const work = join(root, `case-${i}`);
      const bundle = join(work, 'bundle');
      mkdirSync(work);
      writeFileSync(join(work, 'msp.pub.pem'), msp.publicKeyPem);
      makeBundle(bundle, msp, histories);
      const { path, options: checkOptions } = tamper.apply(bundle, work);
      const { result } = checkEvidence(path, checkOptions);
      const named = result.problems.some((p) => p.path === tamper.names || p.problem.includes(tamper.names));
      if (result.ok || !named) undetected.push(`${tamper.name}: ${result.ok ? 'verified' : `refused without naming ${tamper.names} (${result.problems.map((p) => p.path).join(', ')})`}`);
    });
    return { tried: cases.length, held: cases.length - undetected.length, broken: undetected.length, detected: cases.length - undetected.length, files: files.length + 2, undetected };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

export const campaign = () => evidenceTamper();
