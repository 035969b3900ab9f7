import { createHash } from 'node:crypto';
import type { OperatingSystem, RingName, Severity, SimulationPolicy } from '../../config/policy-schema';
import { mixedStableHash } from '../../domain/stable-hash';

// The simulated vendors must give the same answers for the same seed on every worker, after every
// restart and in every benchmark run, so all their "randomness" is a hash of the seed and a name.

/** A number in [0, 1) fixed by the seed and the parts, e.g. `hashUnit(seed, 'deploy', key)`. */
export function hashUnit(seed: number, ...parts: readonly string[]): number {
  return mixedStableHash(`${seed}\u0000${parts.join('\u0000')}`) / 0x1_0000_0000;
}

/** An integer in [min, max] fixed by the seed and the parts. */
export function hashInt(seed: number, min: number, max: number, ...parts: readonly string[]): number {
  return min + Math.floor(hashUnit(seed, ...parts) * (max - min + 1));
}

/**
 * A short id that is the same for the same input. 64 bits, because a 100 000-endpoint cycle creates
 * millions of jobs and 32 bits would collide.
 */
export function stableId(prefix: string, ...parts: readonly string[]): string {
  return `${prefix}${createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 16)}`;
}

export interface CataloguePatch {
  id: string;
  title: string;
  product: string;
  severity: Severity;
  /** Operating systems the patch applies to. */
  os: readonly OperatingSystem[];
  /**
   * For third-party software: words that identify the application in an asset's installed list.
   * Absent for OS patches, which apply to every asset of their OS.
   */
  application?: readonly string[];
}

const ALL_OS: readonly OperatingSystem[] = ['windows', 'macos', 'linux'];

/** A fixed month of realistic updates; ids are what each vendor would show (KB numbers, versions). */
export const PATCH_CATALOGUE: readonly CataloguePatch[] = [
  { id: 'KB5036893', title: '2024-04 Cumulative Update for Windows 11 Version 23H2 for x64-based Systems', product: 'Windows 11', severity: 'critical', os: ['windows'] },
  { id: 'KB5036892', title: '2024-04 Cumulative Update for Windows 10 Version 22H2 for x64-based Systems', product: 'Windows 10', severity: 'critical', os: ['windows'] },
  { id: 'KB5036909', title: '2024-04 Cumulative Update for Microsoft server operating system version 21H2', product: 'Windows Server 2022', severity: 'critical', os: ['windows'] },
  { id: 'KB5036620', title: '2024-04 Cumulative Update for .NET Framework 3.5, 4.8 and 4.8.1', product: '.NET Framework', severity: 'high', os: ['windows'] },
  { id: 'KB5037036', title: '2024-04 Servicing Stack Update for Windows 10 Version 22H2', product: 'Windows 10', severity: 'high', os: ['windows'] },
  { id: 'KB890830', title: 'Windows Malicious Software Removal Tool x64 - v5.124', product: 'Windows', severity: 'routine', os: ['windows'] },
  { id: 'KB2267602', title: 'Security Intelligence Update for Microsoft Defender Antivirus - 1.409.180.0', product: 'Microsoft Defender', severity: 'routine', os: ['windows'] },
  { id: 'macos-14.4.1', title: 'macOS Sonoma 14.4.1', product: 'macOS', severity: 'critical', os: ['macos'] },
  { id: 'safari-17.4.1', title: 'Safari 17.4.1', product: 'Safari', severity: 'high', os: ['macos'] },
  { id: 'xprotect-2193', title: 'XProtectPlistConfigData 2193', product: 'XProtect', severity: 'routine', os: ['macos'] },
  { id: 'linux-openssl-3.0.13', title: 'openssl 3.0.13 security update', product: 'OpenSSL', severity: 'critical', os: ['linux'] },
  { id: 'linux-openssh-9.6p1', title: 'openssh-server 9.6p1 security update', product: 'OpenSSH', severity: 'high', os: ['linux'] },
  { id: 'linux-kernel-6.5.0-28', title: 'linux-image 6.5.0-28 kernel update', product: 'Linux kernel', severity: 'high', os: ['linux'] },
  { id: 'linux-sudo-1.9.15p5', title: 'sudo 1.9.15p5 security update', product: 'sudo', severity: 'high', os: ['linux'] },
  { id: 'linux-curl-8.7.1', title: 'curl 8.7.1 bug-fix update', product: 'curl', severity: 'routine', os: ['linux'] },
  { id: 'chrome-124.0.6367.60', title: 'Google Chrome 124.0.6367.60', product: 'Google Chrome', severity: 'critical', os: ALL_OS, application: ['chrome'] },
  { id: 'firefox-125.0.1', title: 'Mozilla Firefox 125.0.1', product: 'Mozilla Firefox', severity: 'high', os: ALL_OS, application: ['firefox'] },
  { id: 'acrobat-reader-24.002.20687', title: 'Adobe Acrobat Reader DC 24.002.20687', product: 'Adobe Acrobat Reader', severity: 'high', os: ['windows', 'macos'], application: ['acrobat', 'adobe reader'] },
  { id: 'java-8u411', title: 'Java SE Runtime Environment 8 Update 411', product: 'Java', severity: 'high', os: ALL_OS, application: ['java', 'jre'] },
  { id: 'zoom-6.0.2', title: 'Zoom Workplace 6.0.2', product: 'Zoom', severity: 'routine', os: ['windows', 'macos'], application: ['zoom'] },
  { id: '7zip-24.05', title: '7-Zip 24.05', product: '7-Zip', severity: 'routine', os: ['windows'], application: ['7-zip', '7zip'] },
  { id: 'notepadpp-8.6.5', title: 'Notepad++ 8.6.5', product: 'Notepad++', severity: 'routine', os: ['windows'], application: ['notepad++'] },
];

const CATALOGUE_BY_ID = new Map(PATCH_CATALOGUE.map((patch) => [patch.id, patch]));

export function cataloguePatch(patchId: string): CataloguePatch | undefined {
  return CATALOGUE_BY_ID.get(patchId);
}

/** Share of applicable patches an asset is missing: enough for a busy demo, not every patch everywhere. */
export const MISSING_SHARE = 0.4;

function hasApplication(applications: readonly string[], words: readonly string[]): boolean {
  return applications.some((app) => {
    const name = app.toLowerCase();
    return words.some((word) => name.includes(word));
  });
}

/**
 * Whether a patch applies to an asset. Third-party patches need the application in inventory; an
 * asset whose inventory lists no applications at all is treated as "unknown software", so the hash
 * alone decides (imports without an applications column still get third-party patches).
 */
export function patchApplies(patch: CataloguePatch, os: OperatingSystem, applications: readonly string[]): boolean {
  if (!patch.os.includes(os)) return false;
  if (!patch.application || applications.length === 0) return true;
  return hasApplication(applications, patch.application);
}

/** The patches an asset misses before anything is deployed: a pure function of seed and hostname. */
export function initiallyMissing(
  seed: number,
  hostname: string,
  os: OperatingSystem,
  applications: readonly string[],
): CataloguePatch[] {
  return PATCH_CATALOGUE.filter(
    (patch) => patchApplies(patch, os, applications) && hashUnit(seed, 'missing', hostname, patch.id) < MISSING_SHARE,
  );
}

export function isInitiallyMissing(
  seed: number,
  hostname: string,
  os: OperatingSystem,
  applications: readonly string[],
  patchId: string,
): boolean {
  const patch = CATALOGUE_BY_ID.get(patchId);
  if (!patch) return false;
  return patchApplies(patch, os, applications) && hashUnit(seed, 'missing', hostname, patch.id) < MISSING_SHARE;
}

export interface SimulatedOutcomeInput {
  key: string;
  hostname: string;
  ring: RingName;
}

/**
 * Why a simulated deployment fails, or undefined when it succeeds. Decided once, at submit time, so
 * a job's outcome never changes between polls or across a worker restart.
 */
export function simulatedDeploymentFailure(simulation: SimulationPolicy, request: SimulatedOutcomeInput): string | undefined {
  if (simulation.failingHosts.includes(request.hostname)) return `host ${request.hostname} is in simulation.failingHosts`;
  if (simulation.failingRings.includes(request.ring)) return `ring ${request.ring} is in simulation.failingRings`;
  if (hashUnit(simulation.seed, 'deploy', request.key) < simulation.failureRate) {
    return `drawn by simulation.failureRate ${simulation.failureRate}`;
  }
  return undefined;
}

/** Uninstalls and restores fail only on failing hosts, so a failing compensation can be demonstrated. */
export function simulatedHostFailure(simulation: SimulationPolicy, hostname: string): string | undefined {
  return simulation.failingHosts.includes(hostname) ? `host ${hostname} is in simulation.failingHosts` : undefined;
}
