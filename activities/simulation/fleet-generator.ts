import type { AssetClass, AssetRole, OperatingSystem } from '../../config/policy-schema';
import type { Asset } from '../../domain/asset';
import { stableFraction } from '../../domain/stable-hash';

// The load generator and demo seed: a plausible clinic fleet, the same for the same seed.

const SITES = ['main-office', 'north-clinic', 'south-clinic', 'lab'];
const APPS: Record<OperatingSystem, string[]> = {
  windows: ['Google Chrome', 'Adobe Acrobat Reader', 'Microsoft 365', 'Zoom', 'Java Runtime', 'Dentrix'],
  macos: ['Google Chrome', 'Zoom', 'Microsoft 365', 'Adobe Acrobat Reader'],
  linux: ['OpenSSH', 'nginx', 'PostgreSQL', 'rsync'],
};

interface Shape {
  os: OperatingSystem;
  role: AssetRole;
  assetClass: AssetClass;
  prefix: string;
}

function shapeFor(f: number): Shape {
  if (f < 0.55) return { os: 'windows', role: 'workstation', assetClass: 'workstation', prefix: 'ws' };
  if (f < 0.7) return { os: 'macos', role: 'workstation', assetClass: 'workstation', prefix: 'mac' };
  if (f < 0.78) return { os: 'windows', role: 'kiosk', assetClass: 'workstation', prefix: 'kiosk' };
  if (f < 0.88) return { os: 'windows', role: 'server', assetClass: 'core-server', prefix: 'srv' };
  if (f < 0.95) return { os: 'linux', role: 'server', assetClass: 'core-server', prefix: 'lnx' };
  return { os: 'windows', role: 'workstation', assetClass: 'do-not-disrupt', prefix: 'imaging' };
}

export function generateFleet(clientId: string, count: number, seed = 1): Asset[] {
  const assets: Asset[] = [];
  for (let i = 0; i < count; i++) {
    const f = stableFraction(`${seed}:${clientId}:${i}:shape`);
    const shape = shapeFor(f);
    const site = SITES[Math.floor(stableFraction(`${seed}:${clientId}:${i}:site`) * SITES.length)] as string;
    const apps = APPS[shape.os].filter((_, j) => stableFraction(`${seed}:${clientId}:${i}:app${j}`) < 0.6);
    const ephi = shape.assetClass !== 'workstation' || stableFraction(`${seed}:${clientId}:${i}:ephi`) < 0.3;
    assets.push({
      clientId,
      hostname: `${clientId.slice(0, 8)}-${shape.prefix}-${String(i + 1).padStart(4, '0')}`,
      os: shape.os,
      role: shape.role,
      assetClass: shape.assetClass,
      owner: shape.role === 'server' ? 'it@' + clientId + '.example' : `user${i + 1}@${clientId}.example`,
      location: site,
      ephi,
      tags: ephi ? ['ephi'] : [],
      applications: apps,
    });
  }
  return assets;
}
