import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { connect } from 'node:net';
import type { ServiceCheck } from '../../config/policy-schema';

type HttpsCheck = Extract<ServiceCheck, { kind: 'https' }>;
type FileShareCheck = Extract<ServiceCheck, { kind: 'file-share' }>;

const SHARE_PORTS = { smb: 445, nfs: 2049 } as const;
/** Enough of a page to find a login form's title; a huge download proves nothing more. */
const MAX_BODY = 256 * 1024;

export function tcpReachable(host: string, port: number, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect({ host, port });
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no connection within ${Math.round(timeoutMs / 1000)}s`)));
    socket.once('connect', () => {
      socket.end();
      resolve(`connected to ${host}:${port} in ${Date.now() - started} ms`);
    });
    socket.once('error', reject);
  });
}

/** The EHR's front door: the expected status and, when configured, the expected text in the body. */
export function httpsEndpoint(check: HttpsCheck, timeoutMs: number): Promise<string> {
  const ca = check.caFile ? readFileSync(check.caFile, 'utf8') : undefined;
  return new Promise((resolve, reject) => {
    const req = request(check.url, { method: 'GET', ...(ca ? { ca } : {}), timeout: timeoutMs, headers: { 'user-agent': 'patchctl-workload-check' } }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        if (size < MAX_BODY) chunks.push(chunk);
        size += chunk.length;
      });
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== check.expectStatus) return reject(new Error(`answered ${res.statusCode}, expected ${check.expectStatus}`));
        if (check.expectText && !body.includes(check.expectText)) return reject(new Error(`answered ${res.statusCode} but the page does not contain "${check.expectText}"`));
        resolve(`answered ${res.statusCode}${check.expectText ? ` with "${check.expectText}"` : ''}`);
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${Math.round(timeoutMs / 1000)}s`)));
    req.on('error', reject);
    req.end();
  });
}

/**
 * A file share as the worker sees it: the SMB (445) or NFS (2049) port answers, and a file on the
 * share, mounted on the worker, can be read. Not the same as a device reaching it: that is the
 * RMM's `file-access` script check.
 */
export async function fileShareReadable(check: FileShareCheck, timeoutMs: number): Promise<string> {
  const port = check.port ?? SHARE_PORTS[check.protocol];
  await tcpReachable(check.host, port, timeoutMs);
  const content = await readFile(check.readFile, { signal: AbortSignal.timeout(timeoutMs) });
  if (content.length === 0) throw new Error(`${check.readFile} is empty`);
  return `${check.protocol} port ${port} on ${check.host} reachable; read ${content.length} bytes of ${check.readFile}`;
}

export function targetOf(check: ServiceCheck): string {
  switch (check.kind) {
    case 'smtp-imap':
      return `smtp ${check.smtp.host}:${check.smtp.port} → imap ${check.imap.host}:${check.imap.port}/${check.imap.mailbox}`;
    case 'https':
      return check.url;
    case 'tcp':
      return `${check.host}:${check.port}`;
    case 'file-share':
      return `${check.protocol}://${check.host} ${check.readFile}`;
  }
}
