import type { AssetClass, AssetRole, OperatingSystem, Severity } from '../config/policy-schema';

/** A device of a client's fleet, as inventory knows it. Identified by hostname within a client. */
export interface Asset {
  clientId: string;
  hostname: string;
  os: OperatingSystem;
  role: AssetRole;
  assetClass: AssetClass;
  owner: string;
  location: string;
  ephi: boolean;
  tags: string[];
  applications: string[];
}

/** An OS or third-party update. */
export interface Patch {
  id: string;
  title: string;
  product: string;
  severity: Severity;
}

export const PATCH_STATES = ['missing', 'deployed', 'verified', 'failed', 'rolled-back', 'excepted'] as const;
export type PatchState = (typeof PATCH_STATES)[number];
