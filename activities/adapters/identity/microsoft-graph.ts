import { ConfidentialClientApplication } from '@azure/msal-node';
import type { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { failure } from '../../../domain/failure-catalog';
import type { IdentityPort, IdentityUser, RiskyUser } from '../../ports';
import { assertVendorUrl, createHttpJson, type HttpJson, type TokenSource, VendorHttpError, httpTuning } from '../http-json';
import { MsalNetworkClient } from './msal-network-client';

// Microsoft Graph for one client tenant, with app-only tokens (client credentials) from MSAL. The
// MSP's multi-tenant app is consented in each client tenant (or reached through GDAP); each client
// gets its own ConfidentialClientApplication whose authority is that tenant. Forcing a password change
// uses PATCH /users/{id} with passwordProfile, because the resetPassword method does not accept
// application permissions. Both writes are idempotent, so a retried activity is harmless.

const VENDOR = 'Microsoft Graph';
const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';

export interface MicrosoftGraphOptions {
  patchctlClientId: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** https://login.microsoftonline.com (or a sovereign cloud's, or a local fake's) */
  authorityHost?: string;
  /** https://graph.microsoft.com */
  graphUrl?: string;
  /** Extra trusted CA for the authority (tests). */
  authorityCa?: string;
  timeoutMs?: number;
  rateLimitRetries?: number;
  maxRetryAfterMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

const userSchema = z.object({
  id: z.string().min(1),
  userPrincipalName: z.string().min(1),
  displayName: z.string().nullish(),
  accountEnabled: z.boolean().nullish(),
  onPremisesSyncEnabled: z.boolean().nullish(),
});
const riskyUsersSchema = z.object({
  value: z.array(
    z.object({
      id: z.string().min(1),
      userPrincipalName: z.string().nullish(),
      riskLevel: z.string(),
      riskState: z.string(),
      riskDetail: z.string().nullish(),
      riskLastUpdatedDateTime: z.string().nullish(),
    }),
  ),
  '@odata.nextLink': z.string().nullish(),
});

function refused(message: string): ApplicationFailure {
  return failure('VendorRejected', `${VENDOR}: ${message}`);
}

/** MSAL's own cache keeps the token until shortly before expiry; after a 401 the next call skips it. */
function msalTokens(options: MicrosoftGraphOptions, authorityHost: string): TokenSource {
  const authority = `${authorityHost}/${encodeURIComponent(options.tenantId)}`;
  const app = new ConfidentialClientApplication({
    auth: {
      clientId: options.clientId,
      clientSecret: options.clientSecret,
      authority,
      // A known authority skips the instance-discovery call to login.microsoftonline.com; the
      // tenant's OpenID configuration is still read from the authority itself.
      knownAuthorities: [new URL(authorityHost).host],
    },
    system: { networkClient: new MsalNetworkClient({ timeoutMs: options.timeoutMs, ca: options.authorityCa }) },
  });
  let skipCache = false;
  return {
    async headers() {
      let result;
      try {
        result = await app.acquireTokenByClientCredential({ scopes: [GRAPH_SCOPE], skipCache });
      } catch (error) {
        const cause = error instanceof Error ? error : new Error(String(error));
        const code = (error as { errorCode?: string }).errorCode ?? '';
        // AADSTS7000215 (bad secret), 700016 (app not in tenant), 90002 (no such tenant): not worth retrying.
        const final = /invalid_client|unauthorized_client|invalid_request|AADSTS(7000215|700016|90002|7000222)/i.test(`${code} ${cause.message}`);
        throw final
          ? failure('VendorRejected', `${VENDOR}: no token for tenant ${options.tenantId}: ${cause.message} (check GRAPH_CLIENT_ID/GRAPH_CLIENT_SECRET and the app's consent in that tenant)`, { cause })
          : failure('VendorUnavailable', `${VENDOR}: no token for tenant ${options.tenantId}: ${cause.message}`, { cause });
      }
      skipCache = false;
      if (!result?.accessToken) throw failure('VendorUnavailable', `${VENDOR}: MSAL returned no access token for tenant ${options.tenantId}`);
      return { Authorization: `Bearer ${result.accessToken}` };
    },
    invalidate() {
      skipCache = true;
    },
  };
}

export class MicrosoftGraphIdentity implements IdentityPort {
  private readonly http: HttpJson;
  private readonly options: MicrosoftGraphOptions;
  private readonly graphOrigin: string;

  constructor(options: MicrosoftGraphOptions) {
    this.options = options;
    const authorityHost = (options.authorityHost ?? 'https://login.microsoftonline.com').replace(/\/+$/, '');
    const graphUrl = (options.graphUrl ?? 'https://graph.microsoft.com').replace(/\/+$/, '');
    assertVendorUrl(`${VENDOR} authority`, authorityHost);
    this.graphOrigin = new URL(graphUrl).origin;
    this.http = createHttpJson({
      vendor: VENDOR,
      baseUrl: `${graphUrl}/v1.0`,
      auth: msalTokens(options, authorityHost),
      ...httpTuning(options),
    });
  }

  private checkClient(clientId: string): void {
    if (clientId !== this.options.patchctlClientId) throw refused(`adapter for client "${this.options.patchctlClientId}" was asked about client "${clientId}"`);
  }

  async lookupUser(clientId: string, user: string): Promise<IdentityUser | undefined> {
    this.checkClient(clientId);
    try {
      const found = await this.http('GET', `/users/${encodeURIComponent(user)}`, {
        query: { $select: 'id,userPrincipalName,displayName,accountEnabled,onPremisesSyncEnabled' },
        schema: userSchema,
      });
      return {
        id: found.id,
        userPrincipalName: found.userPrincipalName,
        displayName: found.displayName ?? found.userPrincipalName,
        accountEnabled: found.accountEnabled ?? true,
        onPremisesSynced: found.onPremisesSyncEnabled === true,
      };
    } catch (error) {
      if (error instanceof VendorHttpError && error.status === 404) return undefined;
      throw error;
    }
  }

  async revokeSignInSessions(clientId: string, userId: string): Promise<void> {
    this.checkClient(clientId);
    await this.http('POST', `/users/${encodeURIComponent(userId)}/revokeSignInSessions`, { json: {}, schema: z.object({ value: z.boolean() }).passthrough() });
  }

  async forcePasswordChange(clientId: string, userId: string): Promise<void> {
    this.checkClient(clientId);
    const user = await this.lookupUser(clientId, userId);
    if (!user) throw failure('NotFound', `${VENDOR}: no user "${userId}" in tenant ${this.options.tenantId}`);
    // A synced user's password lives in on-premises AD; a cloud-side flag would be overwritten or refused.
    if (user.onPremisesSynced) throw refused(`${user.userPrincipalName} is synced from on-premises AD; force the password change there ("User must change password at next logon")`);
    await this.http('PATCH', `/users/${encodeURIComponent(user.id)}`, { json: { passwordProfile: { forceChangePasswordNextSignIn: true } }, schema: z.unknown() });
  }

  async listRiskyUsers(clientId: string): Promise<RiskyUser[]> {
    this.checkClient(clientId);
    const users: RiskyUser[] = [];
    let path = '/identityProtection/riskyUsers';
    let query: Record<string, string> | undefined = { $filter: "riskState eq 'atRisk' or riskState eq 'confirmedCompromised'" };
    for (let pages = 0; pages < 10_000; pages++) {
      const page: z.infer<typeof riskyUsersSchema> = await this.http('GET', path, { query, schema: riskyUsersSchema });
      for (const u of page.value) {
        users.push({
          id: u.id,
          userPrincipalName: u.userPrincipalName ?? u.id,
          riskLevel: u.riskLevel,
          riskState: u.riskState,
          ...(u.riskDetail ? { riskDetail: u.riskDetail } : {}),
          ...(u.riskLastUpdatedDateTime ? { riskLastUpdatedAt: u.riskLastUpdatedDateTime } : {}),
        });
      }
      const next = page['@odata.nextLink'];
      if (!next) return users;
      const url = new URL(next);
      // The next link carries its own query (skip token); it is followed only on Graph's own origin.
      if (url.origin !== this.graphOrigin) throw refused(`@odata.nextLink points to another origin (${url.origin}); not following it with our token`);
      path = url.pathname.replace(/^\/v1\.0/, '');
      query = Object.fromEntries(url.searchParams);
    }
    throw refused('riskyUsers kept returning pages; stopped after 10000');
  }
}
