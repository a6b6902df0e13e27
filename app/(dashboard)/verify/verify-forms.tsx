'use client';

import { useRef, useState } from 'react';
import type { DpopVerdict, MtlsVerdict } from '@/lib/services/verify.ts';
import { api } from '../../_components/api.ts';
import { SubmitError, useSubmit } from '../../_components/submit.tsx';

type Tab = 'dpop' | 'mtls';
type Result = { kind: 'dpop'; verdict: DpopVerdict } | { kind: 'mtls'; verdict: MtlsVerdict };

const field = (f: FormData, name: string): string | null => {
  const v = String(f.get(name) ?? '').trim();
  return v === '' ? null : v;
};

const wide = { gridColumn: '1 / -1' } as const;
const grid = { display: 'grid', gridTemplateColumns: 'repeat(auto-fit, minmax(260px, 1fr))', gap: '0.75rem' } as const;

export function VerifyForms() {
  const [tab, setTab] = useState<Tab>('dpop');
  const dpopForm = useRef<HTMLFormElement>(null);
  const mtlsForm = useRef<HTMLFormElement>(null);

  // Checks change nothing on the server: no refresh.
  const verify = useSubmit(
    async (kind: Tab): Promise<Result> => {
      const form = kind === 'dpop' ? dpopForm.current! : mtlsForm.current!;
      const f = new FormData(form);
      // The access token is only needed for this one check: take it out of the page right away.
      const tokenInput = form.elements.namedItem('token') as HTMLTextAreaElement | null;
      if (tokenInput) tokenInput.value = '';
      if (kind === 'dpop') {
        const nowRaw = field(f, 'now');
        const verdict = await api<DpopVerdict>('POST', '/api/v1/verify/dpop', {
          proof: field(f, 'proof'),
          method: field(f, 'method'),
          url: field(f, 'url'),
          token: field(f, 'token'),
          jkt: field(f, 'jkt'),
          nonce: field(f, 'nonce'),
          now: nowRaw === null ? null : Number(nowRaw),
        });
        return { kind, verdict };
      }
      const verdict = await api<MtlsVerdict>('POST', '/api/v1/verify/mtls', { cert: field(f, 'cert'), token: field(f, 'token'), x5t: field(f, 'x5t') });
      return { kind, verdict };
    },
    { refresh: false },
  );
  const { busy, error, result } = verify;

  const choose = (t: Tab) => {
    setTab(t);
    verify.clear();
  };

  return (
    <>
      <div role="tablist" aria-label="What to verify" style={{ display: 'flex', gap: '0.5rem', marginBottom: '0.75rem' }}>
        <button type="button" role="tab" aria-selected={tab === 'dpop'} className={tab === 'dpop' ? undefined : 'secondary'} onClick={() => choose('dpop')}>
          DPoP proof
        </button>
        <button type="button" role="tab" aria-selected={tab === 'mtls'} className={tab === 'mtls' ? undefined : 'secondary'} onClick={() => choose('mtls')}>
          mTLS certificate
        </button>
      </div>

      <div className="panel" role="tabpanel">
        <form ref={dpopForm} className="stack" hidden={tab !== 'dpop'} style={tab === 'dpop' ? undefined : { display: 'none' }} onSubmit={(e) => { e.preventDefault(); void verify.run('dpop'); }} aria-label="Verify a DPoP proof">
          <div style={grid}>
            <label style={wide}>
              DPoP proof
              <textarea name="proof" required rows={4} spellCheck={false} autoComplete="off" className="mono" placeholder="eyJ0eXAiOiJkcG9wK2p3dCIs… (the DPoP request header)" />
            </label>
            <label>
              Method
              <input name="method" required defaultValue="GET" list="http-methods" maxLength={32} autoComplete="off" />
            </label>
            <label>
              URL
              <input name="url" required type="url" placeholder="https://api.example.com/resource" maxLength={4096} autoComplete="off" />
            </label>
            <label style={wide}>
              Access token (optional: checks ath and the token&apos;s cnf.jkt; never stored or shown back)
              <textarea name="token" rows={2} spellCheck={false} autoComplete="off" className="mono" />
            </label>
            <label>
              Expected jkt (optional)
              <input name="jkt" maxLength={128} autoComplete="off" className="mono" placeholder="cnf.jkt of the token" />
            </label>
            <label>
              Server nonce (optional)
              <input name="nonce" maxLength={1024} autoComplete="off" />
            </label>
            <label>
              Verify as of (optional, Unix seconds)
              <input name="now" inputMode="numeric" pattern="[0-9]+" autoComplete="off" placeholder="now" />
            </label>
          </div>
          <datalist id="http-methods">
            {['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'].map((m) => <option key={m} value={m} />)}
          </datalist>
          <div><button type="submit" disabled={busy}>{busy ? 'Checking…' : 'Verify proof'}</button></div>
        </form>

        <form ref={mtlsForm} className="stack" hidden={tab !== 'mtls'} style={tab === 'mtls' ? undefined : { display: 'none' }} onSubmit={(e) => { e.preventDefault(); void verify.run('mtls'); }} aria-label="Verify a client certificate">
          <label>
            Client certificate (PEM, URL-encoded PEM as NGINX logs it, or Envoy&apos;s hex SHA-256 fingerprint)
            <textarea name="cert" required rows={6} spellCheck={false} autoComplete="off" className="mono" placeholder="-----BEGIN CERTIFICATE-----" />
          </label>
          <div style={grid}>
            <label>
              Access token (optional: its cnf x5t#S256 is the expected value; never stored or shown back)
              <textarea name="token" rows={2} spellCheck={false} autoComplete="off" className="mono" />
            </label>
            <label>
              Expected x5t#S256 (optional)
              <input name="x5t" maxLength={128} autoComplete="off" className="mono" />
            </label>
          </div>
          <div><button type="submit" disabled={busy}>{busy ? 'Checking…' : 'Verify certificate'}</button></div>
        </form>
        <SubmitError error={error} />
      </div>

      {result && <Verdict result={result} />}
    </>
  );
}

/** What each skipped check leaves open (the same words as the API's verdict line). */
const NOT_CHECKED_WORDS: Record<string, string> = {
  jti: 'a replayed proof (the same jti sent again) would also verify here',
  nonce: 'a proof made earlier for this URL would also verify (no server nonce given)',
  ath: 'the proof is not tied to an access token (none given)',
  jkt: 'the proof key is not compared with a token’s cnf (no token or expected jkt given)',
  token_bound: 'the certificate is not compared with a token’s cnf',
  htm: 'the request method',
};

function Verdict({ result }: { result: Result }) {
  const v = result.verdict;
  const thumbprint = result.kind === 'dpop' ? { label: 'Proof key thumbprint (jkt)', value: result.verdict.jkt } : { label: 'Certificate thumbprint (x5t#S256)', value: result.verdict.x5tS256 };
  return (
    <div className="panel" data-testid="verify-result" aria-live="polite">
      <h2 data-testid="verify-verdict" style={{ color: v.ok ? 'var(--ok)' : 'var(--bad)' }}>
        {v.ok ? (v.notChecked.length ? `✓ Verified — not checked: ${v.notChecked.map((c) => c.name).join(', ')}` : '✓ Verified: every check ran') : `✗ Failed: ${v.reason}`}
        {result.kind === 'dpop' && result.verdict.rfcError ? <span className="muted" style={{ fontWeight: 400 }}> ({result.verdict.rfcError})</span> : null}
      </h2>
      {v.notChecked.length ? (
        <div data-testid="verify-not-checked" role="note" style={{ borderLeft: '3px solid var(--warn)', paddingLeft: '0.6rem', margin: '0.5rem 0' }}>
          <strong>Not checked</strong>
          <ul style={{ margin: '0.3rem 0' }}>
            {v.notChecked.map((c) => (
              <li key={c.name} data-testid={`not-checked-${c.name}`}>
                <span className="mono">{c.name}</span>: {NOT_CHECKED_WORDS[c.name] ?? c.detail} <span className="muted">({c.detail})</span>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      <p data-testid="verify-explanation">{v.explanation}</p>
      <table className="data kv" style={{ marginBottom: '0.75rem' }}>
        <tbody>
          <tr>
            <th>{thumbprint.label}</th>
            <td className="mono" data-testid="verify-thumbprint">{thumbprint.value || '—'}</td>
          </tr>
          {v.tokenFingerprint ? (
            <tr>
              <th>Access token fingerprint (SHA-256)</th>
              <td className="mono" data-testid="verify-token-fingerprint">{v.tokenFingerprint}{v.tokenBinding ? ` — ${v.tokenBinding}-bound` : ''}</td>
            </tr>
          ) : null}
        </tbody>
      </table>
      <table className="data" data-testid="verify-checks">
        <thead>
          <tr><th>Check</th><th>Result</th><th>Detail</th></tr>
        </thead>
        <tbody>
          {v.checks.map((c) => (
            <tr key={c.name} data-testid={`check-${c.name}`} data-ok={c.skipped ? 'skipped' : String(c.ok)}>
              <td className="mono">{c.name}</td>
              <td style={{ color: c.skipped ? 'var(--muted)' : c.ok ? 'var(--ok)' : 'var(--bad)', fontWeight: 600, whiteSpace: 'nowrap' }}>
                {c.skipped ? '– not checked' : c.ok ? '✓ pass' : '✗ fail'}
              </td>
              <td>{c.detail}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
