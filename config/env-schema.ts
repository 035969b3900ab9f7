import { z } from 'zod';
import { boundedDuration } from './duration';

const vendorUrl = z.string().regex(/^https?:\/\/\S+$/, 'must be an http(s) URL');

/**
 * The vendor adapters' endpoints and credentials (activities/adapters/build-adapters.ts reads them;
 * a secret comes from `<NAME>_FILE`, preferred, or `<NAME>`). Optional here: each is required only
 * by a client whose policy selects that adapter, and build-adapters says which one is missing.
 */
export const vendorEnvSchema = z.object({
  TACTICAL_RMM_URL: vendorUrl.optional(),
  TACTICAL_RMM_API_KEY: z.string().optional(),
  TACTICAL_RMM_API_KEY_FILE: z.string().optional(),
  /** JSON {"<client id>": "<client name in Tactical>"}. */
  TACTICAL_RMM_CLIENT_NAMES: z.string().optional(),
  TACTICAL_RMM_WORKLOAD_COMMANDS_FILE: z.string().optional(),
  CONNECTWISE_URL: vendorUrl.optional(),
  CONNECTWISE_COMPANY: z.string().optional(),
  CONNECTWISE_PUBLIC_KEY: z.string().optional(),
  CONNECTWISE_PRIVATE_KEY: z.string().optional(),
  CONNECTWISE_PRIVATE_KEY_FILE: z.string().optional(),
  CONNECTWISE_CLIENT_ID: z.string().optional(),
  /** JSON {"<client id>": <ConnectWise company record id>}. */
  CONNECTWISE_COMPANY_IDS: z.string().optional(),
  CONNECTWISE_BOARD: z.string().optional(),
  CONNECTWISE_CLOSED_STATUS: z.string().optional(),
  PROXMOX_URL: vendorUrl.optional(),
  PROXMOX_TOKEN: z.string().optional(),
  PROXMOX_TOKEN_FILE: z.string().optional(),
  PROXMOX_GUESTS_FILE: z.string().optional(),
  /** Restore drills: a bridge without uplink for the clone (default: its links set down). */
  PROXMOX_DRILL_BRIDGE: z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]{0,14}$/, 'expected a Linux bridge name like vmbr99').optional(),
  /** Restore drills: storage for the clone's disks (default: the source guest's). */
  PROXMOX_DRILL_STORAGE: z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]*$/, 'expected a Proxmox storage id like local-lvm').optional(),
  NINJAONE_CLIENT_ID: z.string().optional(),
  NINJAONE_CLIENT_SECRET: z.string().optional(),
  NINJAONE_CLIENT_SECRET_FILE: z.string().optional(),
  DATTO_RMM_API_KEY: z.string().optional(),
  DATTO_RMM_API_SECRET: z.string().optional(),
  DATTO_RMM_API_SECRET_FILE: z.string().optional(),
  HALOPSA_CLIENT_ID: z.string().optional(),
  HALOPSA_CLIENT_SECRET: z.string().optional(),
  HALOPSA_CLIENT_SECRET_FILE: z.string().optional(),
  GRAPH_CLIENT_ID: z.string().optional(),
  GRAPH_CLIENT_SECRET: z.string().optional(),
  GRAPH_CLIENT_SECRET_FILE: z.string().optional(),
});
export type VendorEnv = z.infer<typeof vendorEnvSchema>;

const httpBaseUrl = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && !url.search && !url.hash;
  } catch {
    return false;
  }
}, 'must be an http(s) base URL without query or fragment, e.g. https://approve.msp.example');

/**
 * `patchctl web` (the approval page) and the worker that mails its links. The public URL is what
 * a mail's link points at (a reverse proxy usually terminates TLS in front of the loopback listener).
 */
export const webEnvSchema = z.object({
  PATCHCTL_WEB_LISTEN: z.string().regex(/^(\[[0-9a-fA-F:]+\]|[^\s:]+):\d{1,5}$/, 'must be host:port, e.g. 127.0.0.1:8480').default('127.0.0.1:8480'),
  PATCHCTL_WEB_PUBLIC_URL: httpBaseUrl.optional(),
  /** The page's own Ed25519 private key (0600): it signs decisions on behalf of the person who followed a link. */
  PATCHCTL_WEB_KEY_FILE: z.string().optional(),
  /** How long a mailed link stays usable (never past the decision's own deadline). */
  PATCHCTL_APPROVAL_LINK_TTL: boundedDuration('5m', '7d').default(24 * 3_600_000),
});
export type WebEnv = z.infer<typeof webEnvSchema>;

/** Chat webhook URLs per client, JSON {"<client id>": {"slack": "https://hooks.slack.com/…", "teams": "https://…"}}. */
export const chatEnvSchema = z.object({
  /** Preferred: a file (mode 0600) holding that JSON. */
  PATCHCTL_CHAT_WEBHOOKS_FILE: z.string().optional(),
  PATCHCTL_CHAT_WEBHOOKS: z.string().optional(),
});

/**
 * Everything patchctl reads from the process environment. Secrets (SMTP password, vendor API keys)
 * come from here or from files named here, never from workflow inputs, so they never reach history.
 */
export const envSchema = z.object({
  PATCHCTL_CONFIG: z.string().optional(),
  PATCHCTL_HOME: z.string().optional(),
  TEMPORAL_ADDRESS: z.string().regex(/^[^\s:]+:\d+$/, 'must be host:port, e.g. localhost:7233').optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('patchctl'),
  TEMPORAL_TLS_CERT_PATH: z.string().optional(),
  TEMPORAL_TLS_KEY_PATH: z.string().optional(),
  TEMPORAL_TLS_CA_PATH: z.string().optional(),
  TEMPORAL_TLS_SERVER_NAME: z.string().optional(),
  TEMPORAL_API_KEY: z.string().optional(),
  TEMPORAL_CLI_PATH: z.string().optional(),
  TEMPORAL_TEST_SERVER_PATH: z.string().optional(),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// connection URL').optional(),
  PATCHCTL_DB_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
  SMTP_URL: z.string().regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL').optional(),
  SMTP_PASSWORD_FILE: z.string().optional(),
  PATCHCTL_OUTBOX_DIR: z.string().optional(),
  /** The approver's own Ed25519 private key, used by approve/reject/decide/signoff to sign. */
  PATCHCTL_SIGNING_KEY_FILE: z.string().optional(),
  /** The MSP's Ed25519 private key that signs evidence bundle manifests. */
  PATCHCTL_EVIDENCE_KEY_FILE: z.string().optional(),
  PATCHCTL_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(100),
  PATCHCTL_LOG_LEVEL: z.enum(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
  // Payload encryption keys (`id:base64key,…`, first one encrypts); parsed by workers/codec-keys.ts.
  PATCHCTL_CODEC_KEYS: z.string().optional(),
  PATCHCTL_CODEC_KEYS_FILE: z.string().optional(),
  /** Shared secret of the credential-alert webhook (HMAC-SHA256); the _FILE form must be mode 0600. */
  PATCHCTL_TRIAGE_WEBHOOK_SECRET: z.string().optional(),
  PATCHCTL_TRIAGE_WEBHOOK_SECRET_FILE: z.string().optional(),
  /** Who a command acts as when `--as` is not given (default: login@host). */
  PATCHCTL_USER: z.string().optional(),
  /** Set to anything to print the stack of an unexpected error (exit 1). */
  PATCHCTL_DEBUG: z.string().optional(),
  /** Searched for the `temporal` and test-server binaries when no explicit path is set. */
  PATH: z.string().optional(),
  ...vendorEnvSchema.shape,
  ...webEnvSchema.shape,
  ...chatEnvSchema.shape,
}).superRefine((env, ctx) => {
  if (Boolean(env.TEMPORAL_TLS_CERT_PATH) !== Boolean(env.TEMPORAL_TLS_KEY_PATH)) {
    ctx.addIssue({ code: 'custom', path: ['TEMPORAL_TLS_KEY_PATH'], message: 'TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH must be set together' });
  }
});
export type PatchctlEnv = z.infer<typeof envSchema>;

/** Names of every variable the config reads: docker-compose.yml is checked against this list. */
export const ENV_KEYS: readonly string[] = Object.keys(envSchema.shape);
