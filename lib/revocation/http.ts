// Outbound HTTP for connectors over node:http(s): a private CA to trust and a client
// certificate for mutual TLS are per connector (not process-wide), and every call is bounded
// by AbortSignal.timeout.
import http from 'node:http';
import https from 'node:https';
import { networkError } from './types.ts';

export interface HttpOptions {
  method: 'GET' | 'POST' | 'PUT';
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  /** PEM of a CA to trust for this peer (in addition to none: only this CA when set). */
  caPem?: string;
  /** Client certificate and key for mutual TLS. */
  certPem?: string;
  keyPem?: string;
  /** Keep the raw body bytes (`body`), e.g. a DER CRL. */
  binary?: boolean;
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  body?: Buffer;
}

const MAX_RESPONSE = 1024 * 1024;

// Keep-alive agents per TLS identity (trusted CA + client certificate): a bulk revocation
// reuses connections instead of paying two TLS handshakes per leg.
const agents = new Map<string, http.Agent | https.Agent>();
function agentFor(tls: boolean, opts: HttpOptions): http.Agent | https.Agent {
  const id = `${tls}|${opts.caPem ?? ''}|${opts.certPem ?? ''}|${opts.keyPem ?? ''}`;
  let a = agents.get(id);
  if (!a) {
    a = tls
      ? new https.Agent({ keepAlive: true, maxSockets: 16, ca: opts.caPem, cert: opts.certPem, key: opts.keyPem })
      : new http.Agent({ keepAlive: true, maxSockets: 16 });
    if (agents.size > 100) agents.clear(); // connectors change rarely; bound the cache anyway
    agents.set(id, a);
  }
  return a;
}

export function httpRequest(url: string, opts: HttpOptions, what: string): Promise<HttpResponse> {
  const u = new URL(url);
  const signal = AbortSignal.timeout(opts.timeoutMs);
  const lib = u.protocol === 'https:' ? https : http;
  return new Promise<HttpResponse>((resolve, reject) => {
    const req = lib.request(
      u,
      {
        method: opts.method,
        headers: { ...(opts.body !== undefined ? { 'content-length': String(Buffer.byteLength(opts.body)) } : {}), ...opts.headers },
        signal,
        agent: agentFor(u.protocol === 'https:', opts),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_RESPONSE) {
            req.destroy(new Error('response too large'));
            return;
          }
          chunks.push(c);
        });
        res.on('end', () => {
          const buf = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text: opts.binary ? '' : buf.toString('utf8'), ...(opts.binary ? { body: buf } : {}) });
        });
        res.on('error', (e) => reject(networkError(what, e)));
      },
    );
    req.on('error', (e) => reject(networkError(what, signal.aborted ? Object.assign(new Error('timeout'), { name: 'TimeoutError' }) : e)));
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
