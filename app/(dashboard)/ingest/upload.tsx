'use client';

// Drag-and-drop upload: the File is sent as the request body (the browser streams it from
// disk; nothing is read into page memory) to POST /api/v1/ingest with the session's CSRF
// token, with upload progress, then the batch summary.
// Formats nginx, apache and haproxy are read with the gateway configuration saved on a source
// (Sources page): with one of them the source is chosen among those that keep one for that
// gateway, and without any the page says where to save one.
// Time zone: the zone of the file's zone-less times (HAProxy %t, Apache without %z, syslog), as
// timeZone= (the CLI's --time-zone). Empty sends none: the server reads them in the zone saved
// with the source's configuration, or UTC. The browser's own zone is offered, never filled in.
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useEffect, useRef, useState, useSyncExternalStore, type DragEvent } from 'react';
import { byteSize } from '@/lib/domain/byte-size.ts';
import type { SavedLogFormatRow } from '@/lib/services/ingest/log-formats.ts';
import { api, csrfToken } from '../../_components/api.ts';
import { SubmitError } from '../../_components/submit.tsx';
import { GATEWAY_LABELS } from '../sources/gateway-labels.ts';

interface Summary {
  batchId: string;
  linesRead: number;
  accepted: number;
  rejected: number;
  duplicates: number;
  /** Lines that held no request (blank lines, headers, the gateway's own service lines). */
  skipped?: number;
  errors: Array<{ line: number; reason: string; message?: string }>;
  format?: string;
  logFormat?: { gateway: string; name: string; warnings: string[] };
  /** What the batch's lines could not be judged by (forwarded certificates believed from any peer, …). */
  warnings?: string[];
}

const isGateway = (f: string) => f in GATEWAY_LABELS;

/** Sources that keep a log format (read permission; no configuration text), or null while loading. */
function useSavedLogFormats(): SavedLogFormatRow[] | null {
  const [rows, setRows] = useState<SavedLogFormatRow[] | null>(null);
  useEffect(() => {
    let live = true;
    api<{ logFormats: SavedLogFormatRow[] }>('GET', '/api/v1/sources/log-formats')
      .then((r) => live && setRows(r.logFormats))
      .catch(() => live && setRows([]));
    return () => {
      live = false;
    };
  }, []);
  return rows;
}

/** The browser's own IANA zone, once mounted (the server render knows none): offered, never sent unasked. */
function useBrowserZone(): string | null {
  return useSyncExternalStore(noChanges, () => Intl.DateTimeFormat().resolvedOptions().timeZone || null, () => null);
}
const noChanges = () => () => {};

function contentType(f: File): string {
  if (/\.gz$/i.test(f.name)) return 'application/gzip';
  if (/\.csv$/i.test(f.name)) return 'text/csv';
  if (/\.(ndjson|jsonl)$/i.test(f.name)) return 'application/x-ndjson';
  if (/\.json$/i.test(f.name)) return 'application/json';
  return 'application/octet-stream';
}

export function IngestUpload({ formats }: { formats: readonly string[] }) {
  const router = useRouter();
  const input = useRef<HTMLInputElement>(null);
  const [file, setFile] = useState<File | null>(null);
  const [format, setFormat] = useState('auto');
  const [source, setSource] = useState('');
  const [timeZone, setTimeZone] = useState('');
  const browserZone = useBrowserZone();
  const [over, setOver] = useState(false);
  const [progress, setProgress] = useState<number | null>(null);
  const [result, setResult] = useState<Summary | null>(null);
  const [error, setError] = useState<string | null>(null);
  const saved = useSavedLogFormats();
  const gatewayFormat = isGateway(format);
  const offered = (saved ?? []).filter((s) => s.gateway === format);
  // A gateway format is read with a source's saved configuration: only those sources can be chosen.
  const gatewaySource = gatewayFormat ? (offered.some((s) => s.source === source) ? source : (offered[0]?.source ?? '')) : source;
  const savedForSource = !gatewayFormat ? (saved ?? []).find((s) => s.source === source.trim()) : undefined;
  // The saved configuration this upload reads with, if any: its zone is the default.
  const readWith = gatewayFormat ? offered.find((s) => s.source === gatewaySource) : format === 'auto' ? savedForSource : undefined;
  const defaultZone = readWith?.timeZone ?? null;

  function pick(f: File | undefined | null) {
    if (!f) return;
    setFile(f);
    setResult(null);
    setError(null);
  }

  function onDrop(e: DragEvent<HTMLDivElement>) {
    e.preventDefault();
    setOver(false);
    pick(e.dataTransfer.files?.[0]);
  }

  function send() {
    if (!file) return;
    const q = new URLSearchParams();
    if (format !== 'auto') q.set('format', format);
    if (gatewaySource.trim()) q.set('source', gatewaySource.trim());
    if (timeZone.trim()) q.set('timeZone', timeZone.trim());
    // The analyst looks at findings next: answer once they include this upload.
    q.set('findings', 'wait');
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/api/v1/ingest?${q}`);
    xhr.setRequestHeader('content-type', contentType(file));
    xhr.setRequestHeader('x-csrf-token', csrfToken());
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) setProgress(Math.round((e.loaded / e.total) * 100));
    };
    xhr.onload = () => {
      setProgress(null);
      let body: (Summary & { detail?: string; title?: string }) | null = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = null;
      }
      if (xhr.status >= 200 && xhr.status < 300 && body) {
        setResult(body);
        router.refresh();
      } else {
        setError(body?.detail ?? body?.title ?? `HTTP ${xhr.status}`);
        // A batch refused once read (a repeat that would keep refused lines: 409) is listed as failed, with its reason.
        if (xhr.status === 409) router.refresh();
      }
    };
    xhr.onerror = () => {
      setProgress(null);
      setError('the upload failed (network error)');
    };
    setProgress(0);
    setResult(null);
    setError(null);
    xhr.send(file);
  }

  return (
    <div>
      <div
        role="button"
        tabIndex={0}
        aria-label="Drop a log file here or choose one"
        data-testid="dropzone"
        onClick={() => input.current?.click()}
        onKeyDown={(e) => (e.key === 'Enter' || e.key === ' ') && input.current?.click()}
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={onDrop}
        style={{
          border: `2px dashed ${over ? '#2563eb' : '#cbd5e1'}`,
          borderRadius: 8,
          padding: '1.5rem',
          textAlign: 'center',
          cursor: 'pointer',
          background: over ? '#eff6ff' : undefined,
        }}
      >
        {file ? (
          <span>
            <strong>{file.name}</strong> — {byteSize(file.size)}
          </span>
        ) : (
          <span className="muted">Drop a gateway log, token inventory or scanner report here, or click to choose (gzip accepted)</span>
        )}
        <input ref={input} type="file" name="file" hidden onChange={(e) => pick(e.target.files?.[0])} />
      </div>
      <div className="filters" style={{ marginTop: '0.75rem' }}>
        <label>
          Format{' '}
          <select name="format" value={format} onChange={(e) => setFormat(e.target.value)}>
            <option value="auto">detect</option>
            {formats.map((f) => (
              <option key={f} value={f}>
                {f}
              </option>
            ))}
          </select>
        </label>
        {gatewayFormat ? (
          <label>
            Source{' '}
            <select name="source" value={gatewaySource} onChange={(e) => setSource(e.target.value)} disabled={!offered.length}>
              {offered.length ? null : <option value="">{saved === null ? 'loading…' : 'none keeps one'}</option>}
              {offered.map((s) => (
                <option key={s.source} value={s.source}>
                  {s.source} ({s.name})
                </option>
              ))}
            </select>
          </label>
        ) : (
          <label>
            Source{' '}
            <input name="source" value={source} placeholder="e.g. nginx-edge" onChange={(e) => setSource(e.target.value)} />
          </label>
        )}
        <label title="The zone of times the log writes without one (HAProxy %t, Apache without %z, syslog); times that carry an offset are never shifted">
          Time zone{' '}
          <input name="timeZone" value={timeZone} maxLength={64} list="ingest-time-zones" placeholder={defaultZone ?? 'UTC'} onChange={(e) => setTimeZone(e.target.value)} />
          <datalist id="ingest-time-zones">
            {[browserZone, defaultZone, 'UTC'].filter((z, i, all): z is string => !!z && all.indexOf(z) === i).map((z) => (
              <option key={z} value={z} />
            ))}
          </datalist>
        </label>
        {/* The browser's zone, offered when it would change something. */}
        {browserZone && browserZone !== timeZone.trim() && !(timeZone.trim() === '' && browserZone === (defaultZone ?? 'UTC')) ? (
          <button type="button" className="secondary" onClick={() => setTimeZone(browserZone)}>
            Use {browserZone}
          </button>
        ) : null}
        <button type="button" onClick={send} disabled={!file || progress !== null || (gatewayFormat && !gatewaySource)}>
          Ingest
        </button>
        {progress !== null ? (
          <span aria-live="polite">
            <span className="progress">
              <span style={{ width: `${progress}%` }} />
            </span>{' '}
            {progress < 100 ? `uploading ${progress}%` : 'processing…'}
          </span>
        ) : null}
      </div>
      {gatewayFormat ? (
        <p className="muted" data-testid="gateway-format-note">
          {offered.length
            ? `Format ${format} reads each line with the ${GATEWAY_LABELS[format]} configuration saved on the source.`
            : saved === null
              ? null
              : `No source keeps a saved ${GATEWAY_LABELS[format]} configuration yet.`}{' '}
          An admin saves the gateway&apos;s configuration on a source on the <Link href="/sources#log-format">Sources page</Link>.
        </p>
      ) : savedForSource && format === 'auto' ? (
        <p className="muted" data-testid="gateway-format-note">
          Source {savedForSource.source} keeps a {GATEWAY_LABELS[savedForSource.gateway]} log format (<code>{savedForSource.name}</code>): detection reads with it.
        </p>
      ) : null}
      <p className="muted" data-testid="time-zone-note">
        {timeZone.trim()
          ? <>Times without a zone are read in <code>{timeZone.trim()}</code>.</>
          : defaultZone
            ? <>Times without a zone are read in <code>{defaultZone}</code>, saved with source {readWith!.source}&apos;s log format.</>
            : <>Times without a zone are read in UTC unless you name a zone (an IANA name such as Europe/Berlin, or an offset such as +02:00).</>}
      </p>
      <SubmitError error={error} />
      {result ? (
        <p role="status" data-testid="ingest-result">
          Batch <code>{result.batchId.slice(0, 8)}</code>{result.format ? ` (${result.format})` : ''}: {result.linesRead} lines read, {result.accepted} accepted,{' '}
          {result.rejected} rejected, {result.duplicates} duplicates{result.skipped ? `, ${result.skipped} skipped (no request on the line)` : ''}.
          {result.logFormat ? (
            <>
              {' '}Read with {GATEWAY_LABELS[result.logFormat.gateway] ?? result.logFormat.gateway} format <code>{result.logFormat.name}</code>.
            </>
          ) : null}
        </p>
      ) : null}
      {result?.warnings?.length ? (
        <ul data-testid="ingest-warnings">
          {result.warnings.map((w) => (
            <li key={w}>Warning: {w}</li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
