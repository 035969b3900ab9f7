import type { Pool } from 'pg';
import type { PatchPolicy } from '../config/policy-schema';
import type { ClientAdapters, MailerPort } from './ports';

/** What activities are given instead of importing globals: the worker builds these once, tests pass others. */
export interface ActivityDeps {
  db: Pool;
  policy: PatchPolicy;
  adaptersFor(clientId: string): ClientAdapters;
  mailer: MailerPort;
}
