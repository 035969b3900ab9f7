import { randomBytes } from 'node:crypto';

// Bearer tokens as the vendors' token endpoints hand them out: opaque, expiring, revocable (a
// restarted vendor or an admin forgets them before their expiry, and the API then answers 401).

export interface FakeTokens {
  issue(): { access_token: string; token_type: 'bearer'; expires_in: number };
  /** Whether an Authorization header carries a live token. */
  accepts(authorization: string | undefined): boolean;
  /** Forget every token issued so far (the next API call gets a 401). */
  revokeAll(): void;
  readonly issued: number;
}

export function fakeTokens(lifetimeSeconds: number, now: () => number = Date.now): FakeTokens {
  const live = new Map<string, number>();
  let issued = 0;
  return {
    issue() {
      const token = randomBytes(16).toString('hex');
      live.set(token, now() + lifetimeSeconds * 1000);
      issued++;
      return { access_token: token, token_type: 'bearer', expires_in: lifetimeSeconds };
    },
    accepts(authorization) {
      const match = /^Bearer (\S+)$/i.exec(authorization ?? '');
      const expiresAt = match ? live.get(match[1]!) : undefined;
      return expiresAt !== undefined && now() < expiresAt;
    },
    revokeAll() {
      live.clear();
    },
    get issued() {
      return issued;
    },
  };
}

export function parseForm(body: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(body));
}
