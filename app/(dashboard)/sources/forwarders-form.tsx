'use client';

import { useState } from 'react';
import { api } from '../../_components/api.ts';
import { onFormSubmit, SubmitError, useSubmit } from '../../_components/submit.tsx';
import type { SourceForwarderRow } from '@/lib/services/ingest/forwarders.ts';


const when = (iso: string) => iso.slice(0, 19).replace('T', ' ');

/**
 * The peers a source's backend received forwarded client certificates from, newest first, each
 * ticked by the admin if it is one of the edges: saving makes the trusted proxies those addresses
 * alone (PUT …/trusted-proxies), so any other peer's header reads spoofed_client_cert from then on.
 * Nothing is ticked at first: a peer seen forwarding may be a client posing as a proxy.
 */
export function ForwardersForm({ source, forwarders, total }: { source: string; forwarders: readonly SourceForwarderRow[]; total: number }) {
  const [ticked, setTicked] = useState<ReadonlySet<string>>(new Set());
  const save = useSubmit(async () => {
    const peers = forwarders.filter((f) => ticked.has(f.peer)).map((f) => f.peer);
    return api<{ trustedProxies: string[] }>('PUT', `/api/v1/sources/${encodeURIComponent(source)}/trusted-proxies`, { trustedProxies: peers });
  });
  const toggle = (peer: string, on: boolean) => setTicked((t) => {
    const next = new Set(t);
    if (on) next.add(peer);
    else next.delete(peer);
    return next;
  });
  return (
    <form onSubmit={onFormSubmit(save.run)} data-testid={`forwarders-${source}`}>
      <table className="data">
        <thead>
          <tr><th>Edge?</th><th>Peer</th><th className="num">Lines</th><th className="num">Believed</th><th>First seen</th><th>Last seen</th><th>Trusted now</th></tr>
        </thead>
        <tbody>
          {forwarders.map((f) => (
            <tr key={f.peer} data-peer={f.peer}>
              <td>
                <input type="checkbox" checked={ticked.has(f.peer)} onChange={(e) => toggle(f.peer, e.target.checked)} aria-label={`${f.peer} is an edge of ${source}`} />
              </td>
              <td><code>{f.peer}</code></td>
              <td className="num">{f.lines.toLocaleString('en-US')}</td>
              <td className="num">{f.believedLines.toLocaleString('en-US')}</td>
              <td>{when(f.firstSeenAt)}</td>
              <td>{when(f.lastSeenAt)}</td>
              <td>{f.trusted === null ? 'yes (any peer)' : f.trusted ? 'yes' : <span className="badge critical">no: spoofed_client_cert</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {total > forwarders.length ? <p className="muted">The {forwarders.length} newest of {total.toLocaleString('en-US')} peers.</p> : null}
      <button type="submit" disabled={save.busy || ticked.size === 0}>
        {save.busy ? 'Saving…' : ticked.size === 1 ? 'Trust only the ticked peer' : `Trust only the ${ticked.size || ''} ticked peers`.replace('  ', ' ')}
      </button>
      <SubmitError error={save.error} />
      {save.result ? (
        <p role="status" className="muted">
          Saved: the trusted proxies of {source} are {save.result.trustedProxies.join(', ')}. A forwarded certificate from any other peer reads
          spoofed_client_cert in batches ingested from now on.
        </p>
      ) : null}
    </form>
  );
}
