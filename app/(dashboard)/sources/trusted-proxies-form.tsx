'use client';

import { api } from '../../_components/api.ts';
import { onFormSubmit, SubmitError, useSubmit } from '../../_components/submit.tsx';

/** The proxies a source's backend may believe a forwarded client-certificate header from (PUT …/trusted-proxies). */
export function TrustedProxiesForm({ source, saved }: { source: string; saved: readonly string[] }) {
  const save = useSubmit(async (form: HTMLFormElement) => {
    // As typed: the server splits and checks the list (lib/hops/trusted-proxies.ts) and answers with the canonical one.
    const field = form.elements.namedItem('trustedProxies') as HTMLInputElement;
    const r = await api<{ trustedProxies: string[]; warnings: string[] }>('PUT', `/api/v1/sources/${encodeURIComponent(source)}/trusted-proxies`, { trustedProxies: field.value });
    field.value = r.trustedProxies.join(', ');
    return r;
  });

  return (
    <form onSubmit={onFormSubmit(save.run)} data-testid="trusted-proxies-form">
      <input
        name="trustedProxies" defaultValue={saved.join(', ')} maxLength={4000} placeholder="any peer"
        aria-label={`Trusted proxies of ${source}`} title="CIDRs of the proxies that may forward a client certificate (Client-Cert), separated by commas"
      />{' '}
      <button type="submit" disabled={save.busy}>{save.busy ? 'Saving…' : 'Save'}</button>
      <SubmitError error={save.error} />
      {save.result ? (
        <p role="status" className="muted">
          Saved: {save.result.trustedProxies.length ? save.result.trustedProxies.join(', ') : 'any peer'}. Batches ingested from now on are
          judged with this list; requests already stored keep the verdicts they were given (a re-sent log is recognised as a duplicate, not judged again).
        </p>
      ) : null}
      {save.result?.warnings.map((w) => (
        <p key={w} className="error" role="alert">Warning: {w}</p>
      ))}
    </form>
  );
}
