// `--server URL --api-key KEY`: the same commands through the HTTP API, same output.
import { HoldfastError } from '../errors.ts';
import { authHeaders, type DpopSigner } from './dpop-client.ts';

export interface Remote {
  baseUrl: string;
  apiKey: string;
  /** Set by --dpop-key: the key is DPoP-bound, every request carries a proof. */
  dpop?: DpopSigner | null;
}

/**
 * fetch with the key's Authorization (and a DPoP proof for a DPoP-bound key). Remembers the DPoP
 * nonce the server hands out (RFC 9449 §8) and, when the request can be sent again, answers a
 * 401 use_dpop_nonce by signing a new proof with it, once.
 */
export async function fetchWithAuth(
  remote: Remote,
  method: string,
  url: URL,
  init: Omit<RequestInit, 'method' | 'headers'> & { headers?: Record<string, string> } = {},
  resendable = true,
): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(url, { ...init, method, headers: { ...authHeaders(remote, method, url), ...init.headers } });
    const nonce = res.headers.get('dpop-nonce');
    if (remote.dpop && nonce) remote.dpop.nonce = nonce;
    const askedForNonce = res.status === 401 && /error="use_dpop_nonce"/.test(res.headers.get('www-authenticate') ?? '');
    if (attempt === 0 && resendable && remote.dpop && nonce && askedForNonce) {
      await res.body?.cancel().catch(() => {});
      continue;
    }
    return res;
  }
}

/**
 * Before a request that cannot be sent twice (a streamed upload): learn the server's current
 * DPoP nonce, if it asks for one, from a nonce-less proof on a cheap request.
 */
export async function primeDpopNonce(remote: Remote): Promise<void> {
  if (!remote.dpop || remote.dpop.nonce) return;
  const res = await fetchWithAuth(remote, 'GET', new URL('/api/v1/summary', remote.baseUrl), { signal: AbortSignal.timeout(60_000) }, false);
  await res.body?.cancel().catch(() => {});
}

export async function callApi<T>(remote: Remote, method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetchWithAuth(remote, method, new URL(path, remote.baseUrl), {
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(120_000),
    });
  } catch (e) {
    throw new HoldfastError('upstream_failed', `cannot reach ${remote.baseUrl}: ${(e as Error).cause ? String((e as { cause: Error }).cause.message) : (e as Error).message}`);
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    throw new HoldfastError('upstream_failed', `${remote.baseUrl} answered ${res.status} with a body that is not JSON`);
  }
  if (!res.ok) {
    const p = json as { code?: string; detail?: string; title?: string } | null;
    const code = (p?.code ?? (res.status >= 500 ? 'upstream_failed' : 'bad_request')) as ConstructorParameters<typeof HoldfastError>[0];
    throw new HoldfastError(code, `server answered ${res.status}: ${p?.detail ?? p?.title ?? 'error'}`);
  }
  return json as T;
}
