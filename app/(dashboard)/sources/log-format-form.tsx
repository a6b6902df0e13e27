'use client';
// A source's log format (admin): the gateway's own configuration, pasted or uploaded, compiled by
// the server when saved. Save shows what will be read from each line (fields, labels, warnings) or
// the one-line reason the configuration cannot be used; Remove asks first. The source being edited
// lives in the URL (?logFormat=NAME), so the table's "Set"/"Change" links open it here.
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useState, type ChangeEvent } from 'react';
import type { SourceLogFormatView } from '@/lib/services/ingest/log-formats.ts';
import { api } from '../../_components/api.ts';
import { onFormSubmit, SubmitError, useSubmit } from '../../_components/submit.tsx';
import { ConfirmDialog } from '../settings/_components/confirm-dialog.tsx';
import { GATEWAY_LABELS } from './gateway-labels.ts';

/** The same 2 MiB the server keeps (checked here too, so a large file is refused before it is sent). */
const MAX_CONFIG_BYTES = 2 * 1024 * 1024;

const CHOICES: Array<[value: string, label: string]> = [
  ['nginx', 'NGINX (log_format)'],
  ['apache', 'Apache (LogFormat / CustomLog)'],
  ['haproxy', 'HAProxy (log-format, captures)'],
  ['auto', 'Detect from the configuration'],
];

type Saved = Omit<SourceLogFormatView, 'config'> & { config?: string };

/** What each line of the source's logs is read as. */
export function WhatIsRead({ view }: { view: Saved }) {
  return (
    <div data-testid="log-format-read">
      <p>
        Reads {GATEWAY_LABELS[view.gateway] ?? view.gateway} format <code>{view.name}</code>
        {view.names.length > 1 ? <span className="muted"> (the configuration has {view.names.join(', ')})</span> : null}; SHA-256{' '}
        <code title={view.sha256}>{view.sha256.slice(0, 16)}…</code>, saved {view.updatedAt.slice(0, 16).replace('T', ' ')} by {view.updatedBy}.
        {view.timeZone ? <> Times without a zone are read in <code>{view.timeZone}</code>.</> : null}
      </p>
      {view.problem ? (
        <p className="error" role="alert">
          This configuration no longer compiles: {view.problem}
        </p>
      ) : null}
      <p>
        <span className="muted">Fields:</span>{' '}
        {view.fields.length ? view.fields.map((f) => <code key={f} style={{ marginRight: '0.4rem' }}>{f}</code>) : '—'}
      </p>
      <p>
        <span className="muted">Kept as labels:</span>{' '}
        {view.labels.length ? view.labels.map((l) => <code key={l} style={{ marginRight: '0.4rem' }}>{l}</code>) : '—'}
      </p>
      {view.warnings.length ? (
        <div>
          <span className="muted">What this format cannot tell:</span>
          <ul data-testid="log-format-warnings" style={{ margin: '0.25rem 0', paddingLeft: '1.1rem' }}>
            {view.warnings.map((w) => (
              <li key={w}>{w}</li>
            ))}
          </ul>
        </div>
      ) : (
        <p className="muted">No warnings: the format carries what binding is judged by.</p>
      )}
    </div>
  );
}

export function LogFormatForm({ sources, source, saved }: { sources: string[]; source: string | null; saved: Saved | null }) {
  const router = useRouter();
  const [gateway, setGateway] = useState(saved?.gateway ?? 'nginx');
  const [config, setConfig] = useState(saved?.config ?? '');
  const [name, setName] = useState(saved?.logFormat ?? '');
  const [timeZone, setTimeZone] = useState(saved?.timeZone ?? '');
  const [fileError, setFileError] = useState<string | null>(null);
  const [view, setView] = useState<Saved | null>(saved);
  const [removing, setRemoving] = useState(false);

  function choose(e: ChangeEvent<HTMLSelectElement>) {
    const next = e.target.value;
    router.replace(next ? `/sources?logFormat=${encodeURIComponent(next)}#log-format` : '/sources#log-format', { scroll: false });
  }

  async function upload(e: ChangeEvent<HTMLInputElement>) {
    const f = e.target.files?.[0];
    e.target.value = '';
    if (!f) return;
    if (f.size > MAX_CONFIG_BYTES) {
      setFileError(`${f.name} is ${f.size} bytes; a configuration is at most ${MAX_CONFIG_BYTES} (2 MiB)`);
      return;
    }
    setFileError(null);
    setConfig(await f.text());
  }

  const save = useSubmit(async () => {
    if (!source) return;
    setFileError(null);
    const r = await api<Saved>('PUT', `/api/v1/sources/${encodeURIComponent(source)}/log-format`, { format: gateway, config, logFormat: name.trim() || null, timeZone: timeZone.trim() || null });
    setView(r);
    setGateway(r.gateway);
  });

  const remove = useSubmit(async () => {
    if (!source) return;
    await api('DELETE', `/api/v1/sources/${encodeURIComponent(source)}/log-format`);
    setRemoving(false);
    setView(null);
    setConfig('');
    setName('');
    setTimeZone('');
  });
  const busy = save.busy || remove.busy;

  return (
    <form onSubmit={onFormSubmit(save.run)} aria-label="Log format" className="stack">
      <div className="filters" style={{ marginBottom: 0 }}>
        <label>
          Source{' '}
          <select name="source" value={source ?? ''} onChange={choose}>
            <option value="">choose a source</option>
            {sources.map((s) => (
              <option key={s} value={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Gateway{' '}
          <select name="gateway" value={gateway} onChange={(e) => setGateway(e.target.value as typeof gateway)} disabled={!source}>
            {CHOICES.map(([v, l]) => (
              <option key={v} value={v}>{l}</option>
            ))}
          </select>
        </label>
        <label>
          Format name (optional){' '}
          <input name="logFormat" value={name} maxLength={200} placeholder="main, combined, fe_api…" onChange={(e) => setName(e.target.value)} disabled={!source} />
        </label>
        <label title="The zone of times the gateway logs without one (HAProxy %tr, Apache strftime without %z); empty: UTC">
          Time zone (optional){' '}
          <input name="timeZone" value={timeZone} maxLength={64} placeholder="Europe/Berlin, +02:00" onChange={(e) => setTimeZone(e.target.value)} disabled={!source} />
        </label>
      </div>
      <label>
        Configuration (the gateway&apos;s own file: nginx.conf, a vhost file, haproxy.cfg)
        <textarea
          name="config"
          value={config}
          onChange={(e) => setConfig(e.target.value)}
          rows={12}
          spellCheck={false}
          disabled={!source}
          placeholder={"log_format main '$remote_addr [$time_local] \"$request\" $status $ssl_client_verify $ssl_client_escaped_cert $request_id';"}
          className="mono"
          style={{ width: '100%', boxSizing: 'border-box', resize: 'vertical' }}
        />
      </label>
      <div className="filters" style={{ marginBottom: 0 }}>
        <label>
          Or upload the configuration file <input type="file" name="configFile" onChange={upload} disabled={!source} />
        </label>
        <button type="submit" disabled={!source || busy || !config.trim()}>
          {busy ? 'Saving…' : 'Save'}
        </button>
        {saved ? (
          <button type="button" className="secondary" disabled={busy} onClick={() => { remove.clear(); setRemoving(true); }}>
            Remove
          </button>
        ) : null}
      </div>
      <SubmitError error={fileError ?? save.error} testId="log-format-error" />
      {view ? (
        <div role="status">
          <WhatIsRead view={view} />
          <p className="muted">
            Ingest with format {view.gateway} (or detect) naming source <code>{view.source}</code>, or with the source&apos;s own key — the{' '}
            <Link href="/ingest">Ingest page</Link>, <code>holdfast ingest FILE --source {view.source}</code> or <code>POST /api/v1/ingest?source={view.source}</code>.
          </p>
        </div>
      ) : source ? (
        <p className="muted">Source {source} keeps no log format: its logs are read by the format an ingest names, or detected.</p>
      ) : null}
      {removing && source ? (
        <ConfirmDialog title="Remove log format" confirmLabel="Remove" danger busy={busy} error={remove.error} onConfirm={() => void remove.run()} onClose={() => setRemoving(false)}>
          <p>
            Remove the log format of <strong>{source}</strong>? Its batches with format nginx, apache or haproxy are refused until a configuration is saved again; other
            formats and detection are not affected.
          </p>
        </ConfirmDialog>
      ) : null}
    </form>
  );
}
