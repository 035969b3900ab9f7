import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FakeRequest, type FakeResponse, type FakeServer, startFakeServer } from './fake-http';
import { type FakeTokens, fakeTokens, parseForm } from './oauth-tokens';

// The Microsoft identity platform and Graph as documented. MSAL only talks to an https authority, so
// the token side runs on https with a throw-away self-signed certificate (openssl); Graph itself is a
// plain loopback fake. Token: client credentials at /{tenant}/oauth2/v2.0/token with scope
// https://graph.microsoft.com/.default; the tenant's OpenID configuration at
// /{tenant}/v2.0/.well-known/openid-configuration. Graph: users, revokeSignInSessions ({value:true}),
// PATCH passwordProfile (204), riskyUsers paged by @odata.nextLink; errors as {error:{code,message}}.

export interface FakeGraphUser {
  id: string;
  userPrincipalName: string;
  displayName: string;
  accountEnabled: boolean;
  onPremisesSyncEnabled: boolean | null;
  passwordProfile?: { forceChangePasswordNextSignIn: boolean };
  sessionsRevokedAt?: string;
}

export interface FakeRiskyUser {
  id: string;
  userPrincipalName: string;
  riskLevel: 'low' | 'medium' | 'high' | 'none';
  riskState: 'atRisk' | 'confirmedCompromised' | 'remediated' | 'dismissed' | 'none';
  riskDetail: string;
  riskLastUpdatedDateTime: string;
}

export interface FakeAuthority {
  url: string;
  ca: string;
  tokens: FakeTokens;
  calls: { method: string; path: string; body: string }[];
  /** Tenants that know the app (consent granted). */
  tenants: Set<string>;
  stop(): Promise<void>;
}

export interface FakeGraph extends FakeServer {
  users: FakeGraphUser[];
  riskyUsers: FakeRiskyUser[];
  /** Page size of riskyUsers (@odata.nextLink beyond it). */
  riskyPageSize: number;
}

export function selfSignedCertificate(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'patchctl-fake-authority-'));
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
    ], { stdio: 'ignore' });
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function startFakeAuthority(app: { clientId: string; clientSecret: string }): Promise<FakeAuthority> {
  const { key, cert } = selfSignedCertificate();
  const tokens = fakeTokens(3599);
  const calls: FakeAuthority['calls'] = [];
  const tenants = new Set<string>();
  let base = '';
  const server: Server = createServer({ key, cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', base);
      const body = Buffer.concat(chunks).toString('utf8');
      calls.push({ method: req.method ?? 'GET', path: url.pathname, body });
      const reply = (status: number, payload: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(payload));
      };
      const config = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(url.pathname);
      if (req.method === 'GET' && config) {
        const tenant = config[1]!;
        if (!tenants.has(tenant)) return reply(400, { error: 'invalid_tenant', error_description: `AADSTS90002: Tenant '${tenant}' not found.` });
        return reply(200, {
          issuer: `${base}/${tenant}/v2.0`,
          authorization_endpoint: `${base}/${tenant}/oauth2/v2.0/authorize`,
          token_endpoint: `${base}/${tenant}/oauth2/v2.0/token`,
          end_session_endpoint: `${base}/${tenant}/oauth2/v2.0/logout`,
          jwks_uri: `${base}/${tenant}/discovery/v2.0/keys`,
          response_types_supported: ['code', 'id_token', 'token'],
        });
      }
      const token = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(url.pathname);
      if (req.method === 'POST' && token) {
        const form = parseForm(body);
        if (!tenants.has(token[1]!)) return reply(400, { error: 'invalid_request', error_description: `AADSTS90002: Tenant '${token[1]}' not found.` });
        if (form.grant_type !== 'client_credentials' || form.scope !== 'https://graph.microsoft.com/.default') return reply(400, { error: 'invalid_scope', error_description: 'AADSTS70011: invalid scope' });
        if (form.client_id !== app.clientId || form.client_secret !== app.clientSecret) return reply(401, { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.' });
        const issued = tokens.issue();
        return reply(200, { token_type: 'Bearer', expires_in: issued.expires_in, ext_expires_in: issued.expires_in, access_token: issued.access_token });
      }
      reply(404, { error: 'not_found' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    ca: cert,
    tokens,
    calls,
    tenants,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const graphError = (status: number, code: string, message: string): FakeResponse => ({ status, body: { error: { code, message, innerError: { 'request-id': 'fake' } } } });

export async function startFakeGraph(authority: FakeAuthority): Promise<FakeGraph> {
  const users: FakeGraphUser[] = [];
  const riskyUsers: FakeRiskyUser[] = [];
  const ref: { self?: FakeGraph } = {};

  const findUser = (idOrUpn: string) => users.find((u) => u.id === idOrUpn || u.userPrincipalName.toLowerCase() === idOrUpn.toLowerCase());

  const handle = (req: FakeRequest): FakeResponse => {
    if (!authority.tokens.accepts(req.headers.authorization)) return graphError(401, 'InvalidAuthenticationToken', 'Access token has expired or is not yet valid.');
    const user = /^\/v1\.0\/users\/([^/]+)$/.exec(req.path);
    if (user && req.method === 'GET') {
      const found = findUser(decodeURIComponent(user[1]!));
      if (!found) return graphError(404, 'Request_ResourceNotFound', `Resource '${user[1]}' does not exist or one of its queried reference-property objects are not present.`);
      const { passwordProfile: _p, sessionsRevokedAt: _s, ...visible } = found;
      return { status: 200, body: { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#users/$entity', ...visible } };
    }
    if (user && req.method === 'PATCH') {
      const found = findUser(decodeURIComponent(user[1]!));
      if (!found) return graphError(404, 'Request_ResourceNotFound', 'Resource does not exist.');
      const body = JSON.parse(req.body) as { passwordProfile?: { forceChangePasswordNextSignIn?: boolean } };
      if (found.onPremisesSyncEnabled) return graphError(400, 'Request_BadRequest', 'Unable to update the specified properties for on-premises mastered Directory Sync objects.');
      if (body.passwordProfile) found.passwordProfile = { forceChangePasswordNextSignIn: body.passwordProfile.forceChangePasswordNextSignIn === true };
      return { status: 204 };
    }
    const revoke = /^\/v1\.0\/users\/([^/]+)\/revokeSignInSessions$/.exec(req.path);
    if (revoke && req.method === 'POST') {
      const found = findUser(decodeURIComponent(revoke[1]!));
      if (!found) return graphError(404, 'Request_ResourceNotFound', 'Resource does not exist.');
      found.sessionsRevokedAt = new Date().toISOString();
      return { status: 200, body: { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#Edm.Boolean', value: true } };
    }
    if (req.path === '/v1.0/identityProtection/riskyUsers' && req.method === 'GET') {
      const skip = Number(req.query.get('$skiptoken') ?? 0);
      const filter = req.query.get('$filter') ?? '';
      const states = [...filter.matchAll(/riskState eq '(\w+)'/g)].map((m) => m[1]);
      const rows = riskyUsers.filter((u) => states.length === 0 || states.includes(u.riskState));
      const size = ref.self?.riskyPageSize ?? 100;
      const page = rows.slice(skip, skip + size);
      const next = skip + size < rows.length ? `${ref.self!.url}/v1.0/identityProtection/riskyUsers?$skiptoken=${skip + size}&$filter=${encodeURIComponent(filter)}` : undefined;
      return { status: 200, body: { value: page, ...(next ? { '@odata.nextLink': next } : {}) } };
    }
    return graphError(404, 'BadRequest', `Resource not found for the segment '${req.path}'.`);
  };

  const server = await startFakeServer(handle);
  ref.self = Object.assign(server, { users, riskyUsers, riskyPageSize: 100 });
  return ref.self;
}
