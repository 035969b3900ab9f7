import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';

// MSAL's HTTP, held to the same rules as every other vendor call: no redirect is followed (the
// client secret must not travel on), every request has a deadline, and a private CA can be trusted
// (tests run the token endpoint with a self-signed certificate; MSAL requires an https authority).

export interface MsalNetworkOptions {
  timeoutMs?: number;
  /** Extra trusted CA (PEM), e.g. a local fake's self-signed certificate. */
  ca?: string;
}

export class MsalNetworkClient implements INetworkModule {
  constructor(private readonly options: MsalNetworkOptions = {}) {}

  sendGetRequestAsync<T>(url: string, options?: NetworkRequestOptions, timeout?: number): Promise<NetworkResponse<T>> {
    return this.send<T>('GET', url, options, timeout);
  }

  sendPostRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    return this.send<T>('POST', url, options);
  }

  private send<T>(method: string, url: string, options?: NetworkRequestOptions, timeout?: number): Promise<NetworkResponse<T>> {
    const target = new URL(url);
    const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const timeoutMs = timeout ?? this.options.timeoutMs ?? 30_000;
    const headers: Record<string, string> = { ...(options?.headers ?? {}) };
    if (options?.body !== undefined) headers['content-length'] = String(Buffer.byteLength(options.body));
    return new Promise((resolve, reject) => {
      const req = request(target, { method, headers, ...(this.options.ca ? { ca: this.options.ca } : {}), timeout: timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 300 && status < 400) {
            reject(new Error(`Microsoft identity platform ${method} ${target.pathname} answered with a redirect (HTTP ${status}) to ${res.headers.location ?? '(none)'}; not followed`));
            return;
          }
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = {};
          try {
            body = text ? JSON.parse(text) : {};
          } catch {
            reject(new Error(`Microsoft identity platform ${method} ${target.pathname} answered HTTP ${status} with a body that is not JSON`));
            return;
          }
          const flat: Record<string, string> = {};
          for (const [name, value] of Object.entries(res.headers)) if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
          resolve({ headers: flat, body: body as T, status });
        });
      });
      req.on('timeout', () => req.destroy(new Error(`Microsoft identity platform ${method} ${target.pathname}: no answer within ${timeoutMs} ms`)));
      req.on('error', reject);
      if (options?.body !== undefined) req.write(options.body);
      req.end();
    });
  }
}
