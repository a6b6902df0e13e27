'use client';
// Revocation connectors (admin): which peer revokes the tokens of an issuer or the
// certificates of a CA, with a "test connection" per connector. Secrets are sent once and
// stored sealed; they are never shown again.
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { api, ApiProblem } from '../../_components/api.ts';
import { ConnectorActions } from './_components/connector-actions.tsx';

export interface ConnectorRow {
  id: string;
  name: string;
  kind: string;
  matchIssuer: string | null;
  matchCa: string | null;
  /** Non-secret settings (certificates and URLs); secrets never reach the browser. */
  config: Record<string, unknown>;
  hasSecrets: boolean;
  createdAt: string;
}

type Field = { name: string; label: string; secret?: boolean; multiline?: boolean; required?: boolean; number?: boolean; options?: string[] };
const FIELDS: Record<string, Field[]> = {
  oauth: [
    { name: 'revocationEndpoint', label: 'Revocation endpoint (RFC 7009)', required: true },
    { name: 'introspectionEndpoint', label: 'Introspection endpoint (RFC 7662)', required: true },
    { name: 'clientId', label: 'Client id', required: true },
    { name: 'authMethod', label: 'Client authentication', options: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'tls_client_auth'] },
    { name: 'clientSecret', label: 'Client secret', secret: true },
    { name: 'clientKeyPem', label: 'Client private key (PKCS#8 PEM; private_key_jwt or mTLS)', secret: true, multiline: true },
    { name: 'clientCertPem', label: 'Client certificate (PEM; mTLS)', multiline: true },
    { name: 'assertionAudience', label: 'Assertion audience (private_key_jwt; default: endpoint)' },
    { name: 'caPem', label: 'CA that signed the server certificate (PEM, optional)', multiline: true },
  ],
  keycloak: [
    { name: 'url', label: 'Keycloak base URL', required: true },
    { name: 'realm', label: 'Realm of the clients', required: true },
    { name: 'adminRealm', label: 'Realm of the admin client (default: same realm)' },
    { name: 'adminClientId', label: 'Admin client id (service account with manage-users, view-clients)', required: true },
    { name: 'adminClientSecret', label: 'Admin client secret', secret: true, required: true },
    { name: 'caPem', label: 'CA that signed Keycloak’s certificate (PEM, optional)', multiline: true },
  ],
  webhook: [
    { name: 'url', label: 'Receiver URL', required: true },
    { name: 'hmacSecret', label: 'HMAC secret (≥ 16 characters)', secret: true, required: true },
    { name: 'caPem', label: 'CA that signed the receiver certificate (PEM, optional)', multiline: true },
  ],
  crl: [
    { name: 'caName', label: 'CA name (as on certificates; served at /crl/<name>.crl)', required: true },
    { name: 'caCertPem', label: 'CA certificate (PEM)', multiline: true, required: true },
    { name: 'caKeyPem', label: 'CA signing key (PKCS#8 PEM)', secret: true, multiline: true, required: true },
    { name: 'nextUpdateSeconds', label: 'CRL validity (seconds, default 604800)', number: true },
  ],
  'vault-pki': [
    { name: 'address', label: 'Vault address', required: true },
    { name: 'mount', label: 'PKI mount (default pki)' },
    { name: 'namespace', label: 'Namespace (Enterprise, optional)' },
    { name: 'token', label: 'Vault token', secret: true, required: true },
    { name: 'caPem', label: 'CA that signed Vault’s certificate (PEM, optional)', multiline: true },
  ],
  'step-ca': [
    { name: 'url', label: 'step-ca URL', required: true },
    { name: 'provisioner', label: 'JWK provisioner name', required: true },
    { name: 'provisionerJwk', label: 'Provisioner private key (JWK JSON, decrypted, with kid)', secret: true, multiline: true, required: true },
    { name: 'caPem', label: 'step-ca root (PEM, optional)', multiline: true },
  ],
};

export function ConnectorsPanel({ connectors }: { connectors: ConnectorRow[] }) {
  const router = useRouter();
  const [kind, setKind] = useState('oauth');
  const [error, setError] = useState<string | null>(null);
  const [tests, setTests] = useState<Record<string, { ok: boolean; detail: string } | 'running'>>({});

  async function test(id: string) {
    setTests((t) => ({ ...t, [id]: 'running' }));
    try {
      const r = await api<{ ok: boolean; detail: string }>('POST', `/api/v1/connectors/${id}/test`);
      setTests((t) => ({ ...t, [id]: r }));
    } catch (e) {
      setTests((t) => ({ ...t, [id]: { ok: false, detail: e instanceof ApiProblem ? e.message : 'failed' } }));
    }
  }

  return (
    <div className="panel" data-testid="connectors" id="connectors">
      <h2>Revocation connectors</h2>
      {connectors.length ? (
        <table className="data">
          <thead><tr><th>Name</th><th>Kind</th><th>Serves</th><th>Secrets</th><th>Test</th><th>Change</th></tr></thead>
          <tbody>
            {connectors.map((c) => {
              const t = tests[c.id];
              return (
                <tr key={c.id} data-testid="connector-row" data-name={c.name}>
                  <td>{c.name}</td>
                  <td>{c.kind}</td>
                  <td className="mono">{[c.matchIssuer && `issuer ${c.matchIssuer}`, c.matchCa && `CA ${c.matchCa}`].filter(Boolean).join(' · ')}</td>
                  <td>{c.hasSecrets ? 'sealed' : '—'}</td>
                  <td>
                    <button type="button" className="secondary" onClick={() => test(c.id)} disabled={t === 'running'}>
                      Test connection
                    </button>{' '}
                    {t && t !== 'running' ? <span className={t.ok ? '' : 'error'} role="status">{t.ok ? '✓ ' : '✗ '}{t.detail}</span> : null}
                  </td>
                  <td>
                    <ConnectorActions connector={c} />
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : (
        <p className="empty">No connectors: revocation legs fail with “no connector serves …” until one is added.</p>
      )}
      <form
        style={{ display: 'grid', gap: '0.5rem', marginTop: '1rem', maxWidth: '46rem' }}
        onSubmit={async (e) => {
          e.preventDefault();
          const form = e.currentTarget;
          const f = new FormData(form);
          const config: Record<string, unknown> = {};
          const secrets: Record<string, unknown> = {};
          for (const field of FIELDS[kind] ?? []) {
            const v = String(f.get(field.name) ?? '').trim();
            if (!v) continue;
            (field.secret ? secrets : config)[field.name] = field.number ? Number(v) : v;
          }
          setError(null);
          try {
            await api('POST', '/api/v1/connectors', {
              name: f.get('name'),
              kind,
              matchIssuer: String(f.get('matchIssuer') ?? '').trim() || null,
              matchCa: String(f.get('matchCa') ?? '').trim() || null,
              config,
              secrets,
            });
            form.reset();
            router.refresh();
          } catch (err) {
            setError(err instanceof ApiProblem ? err.message : 'could not create the connector');
          }
        }}
      >
        <h3>Add a connector</h3>
        <label>
          Kind{' '}
          <select value={kind} onChange={(e) => setKind(e.target.value)}>
            <option value="oauth">OAuth authorization server (RFC 7009 + 7662)</option>
            <option value="keycloak">Keycloak admin API (log out a client’s sessions; no raw token needed)</option>
            <option value="webhook">Webhook (HMAC-signed JSON)</option>
            <option value="crl">Built-in CRL publisher (CA key in Holdfast)</option>
            <option value="vault-pki">HashiCorp Vault PKI</option>
            <option value="step-ca">smallstep step-ca</option>
          </select>
        </label>
        <label>Name <input name="name" required maxLength={100} /></label>
        {/* One span per caption: a label is a grid, so loose inline children would each take a row. */}
        <label><span>Serves issuer (token <code>iss</code>, or <code>*</code>)</span> <input name="matchIssuer" /></label>
        <label><span>Serves CA (certificate CA name, or <code>*</code>)</span> <input name="matchCa" /></label>
        {(FIELDS[kind] ?? []).map((field) => (
          <label key={`${kind}-${field.name}`}>
            {field.label}{' '}
            {field.options ? (
              <select name={field.name}>{field.options.map((o) => <option key={o}>{o}</option>)}</select>
            ) : field.multiline ? (
              <textarea name={field.name} rows={3} required={field.required} style={{ width: '100%' }} />
            ) : (
              <input name={field.name} type={field.secret ? 'password' : field.number ? 'number' : 'text'} autoComplete="off" required={field.required} style={{ width: '100%' }} />
            )}
          </label>
        ))}
        <div><button type="submit">Add connector</button></div>
        {error ? <p className="error" role="alert">{error}</p> : null}
      </form>
    </div>
  );
}
