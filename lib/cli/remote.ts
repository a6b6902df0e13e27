// `--server URL --api-key KEY`: the same commands through the HTTP API, same output.
import { HoldfastError } from '../errors.ts';
import { authHeaders, type DpopSigner } from './dpop-client.ts';

export interface Remote {
  baseUrl: string;
  apiKey: string;
  /** Set by --dpop-key: the key is DPoP-bound, every request carries a proof. */
  dpop?: DpopSigner | null;
}

export async function callApi<T>(remote: Remote, method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    const url = new URL(path, remote.baseUrl);
    res = await fetch(url, {
      method,
      headers: {
        ...authHeaders(remote, method, url),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
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
