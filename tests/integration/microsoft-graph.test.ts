import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MicrosoftGraphIdentity } from '../../activities/adapters/identity/microsoft-graph';
import { type FakeAuthority, type FakeGraph, startFakeAuthority, startFakeGraph } from '../support/fakes/microsoft-graph-server';

const app = { clientId: '00000000-aaaa-bbbb-cccc-000000000001', clientSecret: 'graph-secret' };
const TENANT = '11111111-2222-3333-4444-555555555555';
const CLIENT = 'acme-dental';
let authority: FakeAuthority;
let graph: FakeGraph;
const waits: number[] = [];

function adapter(options: Partial<ConstructorParameters<typeof MicrosoftGraphIdentity>[0]> = {}): MicrosoftGraphIdentity {
  return new MicrosoftGraphIdentity({
    patchctlClientId: CLIENT,
    tenantId: TENANT,
    ...app,
    authorityHost: authority.url,
    authorityCa: authority.ca,
    graphUrl: graph.url,
    sleep: async (ms) => {
      waits.push(ms);
    },
    ...options,
  });
}

beforeAll(async () => {
  authority = await startFakeAuthority(app);
  authority.tenants.add(TENANT);
  graph = await startFakeGraph(authority);
});
afterAll(async () => {
  await graph?.stop();
  await authority?.stop();
});
beforeEach(() => {
  graph.calls.length = 0;
  authority.calls.length = 0;
  waits.length = 0;
  graph.riskyPageSize = 100;
  graph.users.splice(0, graph.users.length,
    { id: 'u-1', userPrincipalName: 'pat@acme-dental.example', displayName: 'Pat Doe', accountEnabled: true, onPremisesSyncEnabled: null },
    { id: 'u-2', userPrincipalName: 'sam@acme-dental.example', displayName: 'Sam Roe', accountEnabled: true, onPremisesSyncEnabled: true },
  );
  graph.riskyUsers.splice(0, graph.riskyUsers.length,
    ...['a', 'b', 'c'].map((x, i) => ({ id: `r-${x}`, userPrincipalName: `${x}@acme-dental.example`, riskLevel: 'high' as const, riskState: 'atRisk' as const, riskDetail: 'none', riskLastUpdatedDateTime: `2026-11-30T0${i}:00:00Z` })),
    { id: 'r-d', userPrincipalName: 'd@acme-dental.example', riskLevel: 'low', riskState: 'remediated', riskDetail: 'userPerformedSecuredPasswordChange', riskLastUpdatedDateTime: '2026-11-29T00:00:00Z' },
  );
});

describe('Microsoft Graph identity adapter (MSAL against a local authority, Graph fake)', () => {
  it('gets an app-only token for the client tenant through MSAL and looks a user up', async () => {
    expect(await adapter().lookupUser(CLIENT, 'pat@acme-dental.example')).toEqual({
      id: 'u-1', userPrincipalName: 'pat@acme-dental.example', displayName: 'Pat Doe', accountEnabled: true, onPremisesSynced: false,
    });
    const token = authority.calls.find((c) => c.path === `/${TENANT}/oauth2/v2.0/token`)!;
    expect(new URLSearchParams(token.body).get('scope')).toBe('https://graph.microsoft.com/.default');
    expect(new URLSearchParams(token.body).get('grant_type')).toBe('client_credentials');
    expect(await adapter().lookupUser(CLIENT, 'nobody@acme-dental.example')).toBeUndefined();
  });

  it('revokes sessions and forces a password change through passwordProfile, both safe to repeat', async () => {
    const identity = adapter();
    await identity.revokeSignInSessions(CLIENT, 'u-1');
    await identity.forcePasswordChange(CLIENT, 'u-1');
    await identity.forcePasswordChange(CLIENT, 'u-1');
    expect(graph.users[0]).toMatchObject({ passwordProfile: { forceChangePasswordNextSignIn: true }, sessionsRevokedAt: expect.any(String) });
    const patch = graph.calls.find((c) => c.method === 'PATCH')!;
    expect(patch.path).toBe('/v1.0/users/u-1');
    expect(JSON.parse(patch.body)).toEqual({ passwordProfile: { forceChangePasswordNextSignIn: true } });
    // MSAL's cache: one token for all of it.
    expect(authority.calls.filter((c) => c.path.endsWith('/token'))).toHaveLength(1);
  });

  it('refuses a forced change for a user synced from on-premises AD, saying where to do it', async () => {
    await expect(adapter().forcePasswordChange(CLIENT, 'sam@acme-dental.example')).rejects.toMatchObject({
      type: 'VendorRejected',
      message: expect.stringMatching(/synced from on-premises AD; force the password change there/),
    });
    expect(graph.calls.filter((c) => c.method === 'PATCH')).toHaveLength(0);
  });

  it('reads risky users across @odata.nextLink pages', async () => {
    graph.riskyPageSize = 2;
    const risky = await adapter().listRiskyUsers(CLIENT);
    expect(risky.map((u) => u.userPrincipalName)).toEqual(['a@acme-dental.example', 'b@acme-dental.example', 'c@acme-dental.example']);
    expect(risky[0]).toEqual({ id: 'r-a', userPrincipalName: 'a@acme-dental.example', riskLevel: 'high', riskState: 'atRisk', riskDetail: 'none', riskLastUpdatedAt: '2026-11-30T00:00:00Z' });
    expect(graph.calls.filter((c) => c.path === '/v1.0/identityProtection/riskyUsers')).toHaveLength(2);
  });

  it('takes a fresh token once on a 401, and waits out a 429', async () => {
    const identity = adapter();
    await identity.lookupUser(CLIENT, 'u-1');
    authority.tokens.revokeAll();
    await identity.lookupUser(CLIENT, 'u-1');
    expect(authority.calls.filter((c) => c.path.endsWith('/token'))).toHaveLength(2);
    graph.rateLimitNext(4);
    await identity.lookupUser(CLIENT, 'u-1');
    expect(waits).toEqual([4000]);
  });

  it('a wrong secret or an unknown tenant is final, and names what to check', async () => {
    await expect(adapter({ clientSecret: 'wrong' }).lookupUser(CLIENT, 'u-1')).rejects.toMatchObject({
      type: 'VendorRejected',
      message: expect.stringMatching(/^Microsoft Graph: no token for tenant 11111111-.*check GRAPH_CLIENT_ID\/GRAPH_CLIENT_SECRET/),
    });
    expect(graph.calls).toHaveLength(0);
  });

  it('5xx, timeouts and malformed answers: retryable or a clear error naming the field', async () => {
    graph.answerNext({ status: 503, body: { error: { code: 'serviceNotAvailable', message: 'Service unavailable' } } });
    await expect(adapter().lookupUser(CLIENT, 'u-1')).rejects.toMatchObject({ type: 'VendorUnavailable', message: expect.stringContaining('serviceNotAvailable: Service unavailable') });
    graph.answerNext({ status: 200, body: {}, delayMs: 400 });
    await expect(adapter({ timeoutMs: 100 }).lookupUser(CLIENT, 'u-1')).rejects.toThrow(/no answer within 100 ms/);
    graph.answerNext({ status: 200, body: { value: [{ id: 'r-x', riskLevel: 3 }] } });
    await expect(adapter().listRiskyUsers(CLIENT)).rejects.toThrow(/^Microsoft Graph GET \/v1\.0\/identityProtection\/riskyUsers answered with an unexpected shape: response\.value\[0\]\.riskLevel/);
  });
});
