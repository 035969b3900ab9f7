import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENV_KEYS, vendorEnvSchema } from '../../config/env-schema';

const root = join(__dirname, '..', '..');
// The product's layers; tests/ and scripts/ (bench, campaigns) are tools around it.
const PRODUCT_FOLDERS = ['config', 'domain', 'activities', 'workflows', 'workers', 'client'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** Every variable name the source reads: `process.env.X`, `env.X`, `env['X']`, and the adapters' `(env, 'X', …)` helpers. */
function variablesRead(text: string): string[] {
  const names = new Set<string>();
  for (const match of text.matchAll(/\b(?:process\.)?env\??\.([A-Z][A-Z0-9_]*)\b/g)) names.add(match[1]!);
  for (const match of text.matchAll(/\benv\[['"`]([A-Z][A-Z0-9_]*)['"`]\]/g)) names.add(match[1]!);
  for (const match of text.matchAll(/\b(required|url|secret|readFileNamedBy)\(env, '([A-Z][A-Z0-9_]*)'/g)) {
    names.add(match[2]!);
    if (match[1] === 'secret') names.add(`${match[2]}_FILE`);
  }
  return [...names];
}

describe('the env schema lists every variable patchctl reads', () => {
  it('has every variable read anywhere in the product source', () => {
    const missing: string[] = [];
    for (const folder of PRODUCT_FOLDERS) {
      for (const file of sourceFiles(join(root, folder))) {
        for (const name of variablesRead(readFileSync(file, 'utf8'))) {
          if (!ENV_KEYS.includes(name)) missing.push(`${name} (${file.slice(root.length + 1)})`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it('finds the reads it is meant to find (the scan itself works)', () => {
    expect(variablesRead("const a = process.env.PATCHCTL_USER; env.SMTP_URL; secret(env, 'PROXMOX_TOKEN', why)").sort()).toEqual(
      ['PATCHCTL_USER', 'PROXMOX_TOKEN', 'PROXMOX_TOKEN_FILE', 'SMTP_URL'],
    );
  });

  it('exposes the vendor credentials as their own schema for the adapters', () => {
    const parsed = vendorEnvSchema.safeParse({ TACTICAL_RMM_URL: 'https://rmm.example', PROXMOX_TOKEN_FILE: '/run/secrets/pve' });
    expect(parsed.success).toBe(true);
    expect(Object.keys(vendorEnvSchema.shape)).toEqual(expect.arrayContaining(['TACTICAL_RMM_API_KEY_FILE', 'CONNECTWISE_PRIVATE_KEY_FILE', 'PROXMOX_GUESTS_FILE']));
  });
});
