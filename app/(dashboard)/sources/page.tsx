import type { Metadata } from 'next';
import Link from 'next/link';
import { FORMAT_NAMES } from '@/lib/ingest/index.ts';
import { listSources } from '@/lib/services/ingest/index.ts';
import { getSourceLogFormat, listSourceLogFormats } from '@/lib/services/ingest/log-formats.ts';
import { requirePage } from '../../_lib/session.ts';
import { GATEWAY_LABELS } from './gateway-labels.ts';
import { LogFormatForm } from './log-format-form.tsx';
import { ForwardersForm } from './forwarders-form.tsx';
import { SourceForm } from './source-form.tsx';
import { TrustedProxiesForm } from './trusted-proxies-form.tsx';

export const metadata: Metadata = { title: 'Sources' };

const when = (iso: string | null) => (iso ? iso.slice(0, 19).replace('T', ' ') : '—');

const editLink = (name: string) => `/sources?logFormat=${encodeURIComponent(name)}#log-format`;

export default async function SourcesPage({ searchParams }: { searchParams: Promise<{ logFormat?: string | string[] }> }) {
  const { db } = await requirePage('admin');
  const sources = await listSources(db);
  const logFormats = new Map((await listSourceLogFormats(db)).map((f) => [f.source, f]));
  // The source whose log format is open in the editor (from the table's links), with its configuration.
  const asked = (await searchParams).logFormat;
  const editing = typeof asked === 'string' && sources.some((s) => s.name === asked) ? asked : null;
  const saved = editing && logFormats.has(editing) ? await getSourceLogFormat(db, editing, { withConfig: true }) : null;
  return (
    <>
      <h1>Sources</h1>
      <div className="panel">
        <h2>New source</h2>
        <p className="muted">
          Each source gets its own API key with the ingest scope; batches sent with it are counted against the source. For a backend behind a
          TLS-terminating edge, its trusted proxies are the edge addresses that may forward a client certificate (<code>Client-Cert</code>): a
          request that brings one from any other peer is read as <code>spoofed_client_cert</code>. Without them the header is believed from any peer.
          Behind several proxies in a row (an edge, then a load balancer) list each one&apos;s own address: where the backend logs
          X-Forwarded-For, it is walked from the right to count them, find the client and read the URL the client called at the edge.
        </p>
        <SourceForm formats={FORMAT_NAMES} />
      </div>
      <div className="panel">
        <h2>Sources</h2>
        {sources.length === 0 ? (
          <p className="empty">No sources yet.</p>
        ) : (
          <table className="data">
            <thead>
              <tr><th>Name</th><th>Format</th><th>Log format</th><th>Last seen</th><th className="num">Events</th><th className="num">Batches</th><th>Trusted proxies</th><th>Keys</th></tr>
            </thead>
            <tbody>
              {sources.map((s) => (
                <tr key={s.id} data-source={s.name}>
                  <td>
                    <strong>{s.name}</strong>
                    {s.description ? <div className="muted">{s.description}</div> : null}
                  </td>
                  <td>{s.format ?? '—'}</td>
                  <td data-testid="source-log-format">
                    {logFormats.has(s.name) ? (
                      <>
                        <span className="badge">{GATEWAY_LABELS[logFormats.get(s.name)!.gateway] ?? logFormats.get(s.name)!.gateway}</span> <code>{logFormats.get(s.name)!.name}</code>{' '}
                        <Link href={editLink(s.name)} aria-label={`Change the log format of ${s.name}`}>Change</Link>
                      </>
                    ) : (
                      <Link href={editLink(s.name)} aria-label={`Set the log format of ${s.name}`}>Set</Link>
                    )}
                  </td>
                  <td>{when(s.lastSeenAt)}</td>
                  <td className="num">{s.eventsTotal.toLocaleString('en-US')}</td>
                  <td className="num">{s.batches}</td>
                  <td data-testid="source-trusted-proxies">
                    <TrustedProxiesForm source={s.name} saved={s.trustedProxies} />
                  </td>
                  <td>
                    {s.keys.length === 0
                      ? '—'
                      : s.keys.map((k) => (
                          <div key={k.id}>
                            <code>{k.displayStub}</code> {k.revoked ? <span className="badge">revoked</span> : null}{' '}
                            <span className="muted">last used {when(k.lastUsedAt)}</span>
                          </div>
                        ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
      <div className="panel" id="forwarders" data-testid="forwarders-panel">
        <h2>Proxies seen forwarding client certificates</h2>
        <p className="muted">
          The TCP peers each backend received a forwarded client certificate header from, as its logs show them, newest first. Your edges
          should be the only ones. A trusted network broad enough to hold clients lets any of them send the header itself and be believed:
          tick the peers that are your edges and trust only those.
        </p>
        {sources.every((s) => s.forwarding.forwarders.length === 0 && s.forwarding.trustedProxyWarnings.length === 0) ? (
          <p className="empty">No backend has logged a forwarded client certificate yet.</p>
        ) : (
          sources
            .filter((s) => s.forwarding.forwarders.length > 0 || s.forwarding.trustedProxyWarnings.length > 0)
            .map((s) => (
              <section key={s.id} aria-label={`Forwarders of ${s.name}`}>
                <h3>{s.name} <span className="muted">trusts {s.trustedProxies.length ? s.trustedProxies.join(', ') : 'any peer'}</span></h3>
                {s.forwarding.trustedProxyWarnings.map((w) => (
                  <p key={w} className="error" data-testid="trusted-proxy-warning">Warning: {w}</p>
                ))}
                {s.forwarding.forwarders.length ? <ForwardersForm source={s.name} forwarders={s.forwarding.forwarders} total={s.forwarding.forwardersTotal} /> : null}
              </section>
            ))
        )}
      </div>
      <div className="panel" id="log-format" data-testid="log-format-panel">
        <h2>Log format{editing ? <> of {editing}</> : null}</h2>
        <p className="muted">
          For NGINX, Apache and HAProxy logs in a format of your own: save the gateway&apos;s configuration (NGINX <code>log_format</code>, Apache{' '}
          <code>LogFormat</code>/<code>CustomLog</code>, HAProxy <code>log-format</code> with its captures) and this source&apos;s logs are read with it. It is
          checked when saved; nothing in it is sent anywhere else, and the audit log records its SHA-256, not its text.
        </p>
        {sources.length === 0 ? (
          <p className="empty">Create a source first.</p>
        ) : (
          <LogFormatForm key={editing ?? ''} sources={sources.map((s) => s.name)} source={editing} saved={saved} />
        )}
      </div>
    </>
  );
}
