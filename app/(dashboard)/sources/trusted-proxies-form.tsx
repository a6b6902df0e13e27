'use client';

import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import { api } from '../../_components/api.ts';

/** The proxies a source's backend may believe a forwarded client-certificate header from (PUT …/trusted-proxies). */
export function TrustedProxiesForm({ source, saved }: { source: string; saved: readonly string[] }) {
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const text = String(new FormData(e.currentTarget).get('trustedProxies') ?? '');
    setBusy(true);
    setError(null);
    try {
      await api('PUT', `/api/v1/sources/${encodeURIComponent(source)}/trusted-proxies`, { trustedProxies: text.split(/[\s,]+/).filter(Boolean) });
      router.refresh();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} data-testid="trusted-proxies-form">
      <input
        name="trustedProxies" defaultValue={saved.join(', ')} maxLength={4000} placeholder="any peer"
        aria-label={`Trusted proxies of ${source}`} title="CIDRs of the proxies that may forward a client certificate (Client-Cert), separated by commas"
      />{' '}
      <button type="submit" disabled={busy}>Save</button>
      {error ? <p className="error" role="alert">{error}</p> : null}
    </form>
  );
}
