import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createHttpJson } from '../../activities/adapters/http-json';
import { buildClientAdapters } from '../../activities/adapters/build-adapters';
import { clientSchema, vendorUrlProblem } from '../../config/policy-schema';
import { startFakeServer, type FakeServer } from '../support/fakes/fake-http';

// Issue 9, point 8: a vendor key must never travel anywhere but the vendor's own origin, and never
// in clear text over the network.

let vendor: FakeServer;
let elsewhere: { url: string; seen: IncomingHttpHeaders[]; stop: () => Promise<void> };

beforeAll(async () => {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('[]');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  // Another origin: same host, another port.
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  elsewhere = { url, seen, stop: () => new Promise((resolve) => server.close(() => resolve())) };
  vendor = await startFakeServer((req) => {
    if (req.path === '/moved') return { status: 302, headers: { location: `${url}/stolen` } };
    if (req.path === '/same-origin') return { status: 307, headers: { location: '/ok' } };
    return { status: 200, body: [] };
  });
});

afterAll(async () => {
  await vendor?.stop();
  await elsewhere?.stop();
});

describe('vendor HTTP', () => {
  const http = () => createHttpJson({ vendor: 'Acme RMM', baseUrl: vendor.url, headers: { 'X-API-KEY': 'SECRET-KEY' } });

  it('refuses a cross-origin redirect and never sends the key to the other origin', async () => {
    await expect(http()('GET', '/moved', { schema: z.array(z.unknown()) })).rejects.toMatchObject({
      nonRetryable: true,
      message: expect.stringMatching(/^Acme RMM GET \/moved answered with a redirect \(HTTP 302\) to http:\/\/127\.0\.0\.1:\d+\/stolen; vendor calls do not follow redirects/),
    });
    expect(elsewhere.seen).toHaveLength(0);
  });

  it('refuses a same-origin redirect too (the configured URL must be the final one)', async () => {
    await expect(http()('GET', '/same-origin', { schema: z.array(z.unknown()) })).rejects.toThrow(/redirect \(HTTP 307\) to \/ok.*set the vendor URL/);
    expect(vendor.calls.filter((c) => c.path === '/ok')).toHaveLength(0);
  });

  it('refuses http:// for a vendor that is not on loopback, before any request', () => {
    expect(() => createHttpJson({ vendor: 'Acme RMM', baseUrl: 'http://rmm.example.com/api', headers: {} })).toThrow(
      /Acme RMM: http:\/\/rmm\.example\.com\/api must use https:\/\/ \(http:\/\/ is allowed only for loopback/,
    );
    expect(() => createHttpJson({ vendor: 'Acme RMM', baseUrl: 'https://rmm.example.com/api', headers: {} })).not.toThrow();
    expect(() => createHttpJson({ vendor: 'Acme RMM', baseUrl: 'http://localhost:8080', headers: {} })).not.toThrow();
    expect(() => createHttpJson({ vendor: 'Acme RMM', baseUrl: 'http://[::1]:8080', headers: {} })).not.toThrow();
  });

  it('names the problem in a URL: http off loopback, not a URL at all', () => {
    expect(vendorUrlProblem('https://eu.ninjarmm.com')).toBeUndefined();
    expect(vendorUrlProblem('http://127.0.0.1:9000')).toBeUndefined();
    expect(vendorUrlProblem('http://eu.ninjarmm.com')).toMatch(/must use https:\/\/.*write https:\/\/eu\.ninjarmm\.com/);
    expect(vendorUrlProblem('ftp://x')).toMatch(/must be an https:\/\/ URL/);
    expect(vendorUrlProblem('eu.ninjarmm.com')).toMatch(/must be an https:\/\/ URL/);
  });

  it('config refuses an http:// vendor URL in a client’s adapter settings, with the path and the fix', () => {
    const result = clientSchema.safeParse({
      id: 'acme-dental',
      name: 'Acme Dental',
      timezone: 'America/New_York',
      owner: 'owner@acme.example',
      maintenanceWindows: [{ days: ['sat'], start: '22:00', duration: '6h' }],
      adapters: { rmm: 'ninjaone', ninjaone: { url: 'http://eu.ninjarmm.com', organizationId: 7 } },
    });
    expect(result.success).toBe(false);
    const issue = result.error!.issues[0]!;
    expect(issue.path).toEqual(['adapters', 'ninjaone', 'url']);
    expect(issue.message).toMatch(/must use https:\/\/.*write https:\/\/eu\.ninjarmm\.com/);
  });

  it('the environment’s vendor URLs are held to the same rule', () => {
    const policyClient = clientSchema.parse({
      id: 'acme-dental',
      name: 'Acme Dental',
      timezone: 'America/New_York',
      owner: 'owner@acme.example',
      maintenanceWindows: [{ days: ['sat'], start: '22:00', duration: '6h' }],
      adapters: { rmm: 'tactical-rmm' },
    });
    const policy = { clients: [policyClient] } as unknown as Parameters<typeof buildClientAdapters>[0]['policy'];
    expect(() =>
      buildClientAdapters({ db: {} as never, policy, env: { TACTICAL_RMM_URL: 'http://rmm.example.com', TACTICAL_RMM_API_KEY: 'k' } }),
    ).toThrow(/TACTICAL_RMM_URL: .*must use https:\/\//);
  });
});

describe('clients whose vendor is not configured on this machine', () => {
  const vendorClient = clientSchema.parse({
    id: 'harbor-pediatrics',
    name: 'Harbor Pediatrics',
    timezone: 'America/Chicago',
    owner: 'owner@harbor.example',
    maintenanceWindows: [{ days: ['sat'], start: '22:00', duration: '6h' }],
    adapters: { rmm: 'datto-rmm', 'datto-rmm': { url: 'https://pinotage-api.centrastage.net', siteUid: 's1', patchComponentUid: 'c1' } },
  });
  const policy = { clients: [vendorClient] } as unknown as Parameters<typeof buildClientAdapters>[0]['policy'];

  it('stop the worker at start by default, naming the variable', () => {
    expect(() => buildClientAdapters({ db: {} as never, policy, env: {} })).toThrow(/DATTO_RMM_API_KEY is not set; it is required for client "harbor-pediatrics"/);
  });

  it('in the dev stack, refuse each call for good with the same message instead, and say so once', async () => {
    const warnings: string[] = [];
    const lookup = buildClientAdapters({ db: {} as never, policy, env: {}, unconfiguredVendors: 'refuse-calls', warn: (m) => warnings.push(m) });
    expect(warnings).toEqual([expect.stringMatching(/client "harbor-pediatrics": its vendor adapters are not configured \(DATTO_RMM_API_KEY is not set/)]);
    await expect(lookup('harbor-pediatrics').rmm.listDevices('harbor-pediatrics')).rejects.toMatchObject({
      type: 'VendorRejected',
      nonRetryable: true,
      message: expect.stringMatching(/DATTO_RMM_API_KEY is not set/),
    });
  });
});
