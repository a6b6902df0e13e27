// Browser-side API calls: same-origin, with the session's CSRF token on every state change.
export function csrfToken(): string {
  return document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content ?? '';
}

export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Per-field problems (422 validation), when the server names them. */
    readonly errors: Array<{ path: string; message: string }> = [],
  ) {
    super(message);
  }
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(method === 'GET' ? {} : { 'x-csrf-token': csrfToken() }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json().catch(() => null)) as (T & { code?: string; detail?: string; title?: string; errors?: unknown }) | null;
  if (!res.ok) {
    const errors = Array.isArray(json?.errors) ? (json.errors as Array<{ path: string; message: string }>) : [];
    throw new ApiProblem(res.status, json?.code ?? 'error', json?.detail ?? json?.title ?? `HTTP ${res.status}`, errors);
  }
  return json as T;
}
