import { stableHash } from '../../../domain/stable-hash';
import type { IdentityPort, IdentityUser, RiskyUser } from '../../ports';
import type { Queryable } from '../../store/pool';
import { recordSimIdentityAction } from '../../store/simulated-identity-store';

// A deterministic directory for the embedded demo and tests: every address of the form
// name@domain is an account, whose object id is derived from it; `svc-` accounts are synced from
// on-premises AD. What it is asked to do is kept in sim_identity_actions, so a test or the demo can
// see that a password change and a revocation really happened, once per account however often asked.

export class SimulatedIdentity implements IdentityPort {
  constructor(private readonly options: { db: Queryable; clientId: string }) {}

  private idOf(upn: string): string {
    return `sim-${stableHash(upn.toLowerCase()).toString(16).padStart(8, '0')}`;
  }

  async lookupUser(_clientId: string, user: string): Promise<IdentityUser | undefined> {
    const match = /^([^@\s]+)@([^@\s]+)$/.exec(user);
    if (!match) return undefined;
    return {
      id: this.idOf(user),
      userPrincipalName: user.toLowerCase(),
      displayName: match[1]!,
      accountEnabled: true,
      onPremisesSynced: match[1]!.toLowerCase().startsWith('svc-'),
    };
  }

  async revokeSignInSessions(_clientId: string, userId: string): Promise<void> {
    await recordSimIdentityAction(this.options.db, this.options.clientId, userId, 'revoke-sign-in-sessions');
  }

  async forcePasswordChange(_clientId: string, userId: string): Promise<void> {
    await recordSimIdentityAction(this.options.db, this.options.clientId, userId, 'force-password-change');
  }

  async listRiskyUsers(): Promise<RiskyUser[]> {
    return [];
  }
}
