// HashiCorp Vault PKI secrets engine: `POST /v1/<mount>/revoke { serial_number }`, confirmed by
// `GET /v1/<mount>/cert/<serial>` reporting a non-zero `revocation_time`. Serials in Vault's
// form: colon-separated lowercase hex pairs.
import { z } from 'zod';
import { normalizeSerial } from './crl-publisher.ts';
import { httpRequest, parseJson } from './http.ts';
import { ConnectorError, type RevocationConnector } from './types.ts';

export const vaultPkiConfigSchema = z.object({
  address: z.string().url(),
  mount: z.string().regex(/^[A-Za-z0-9_/-]{1,100}$/).default('pki'),
  namespace: z.string().optional(),
  caPem: z.string().optional(),
});
export type VaultPkiConfig = z.infer<typeof vaultPkiConfigSchema>;
export const vaultPkiSecretsSchema = z.object({ token: z.string().min(1) });
export type VaultPkiSecrets = z.infer<typeof vaultPkiSecretsSchema>;

export function vaultSerial(serial: string): string {
  const hex = normalizeSerial(serial);
  return (hex.length % 2 ? `0${hex}` : hex).match(/../g)!.join(':');
}

export function createVaultPkiConnector(name: string, config: VaultPkiConfig, secrets: VaultPkiSecrets): RevocationConnector {
  const base = `${config.address.replace(/\/$/, '')}/v1/${config.mount.replace(/^\/|\/$/g, '')}`;
  const headers = { 'x-vault-token': secrets.token, ...(config.namespace ? { 'x-vault-namespace': config.namespace } : {}) };
  const fail = (what: string, status: number) => new ConnectorError(`vault ${what}: HTTP ${status}`, status >= 500 || status === 429);
  return {
    kind: 'vault-pki',
    name,
    async execute(target, ctx) {
      const serial = target.certificate?.serial;
      if (target.kind !== 'certificate' || !serial) throw new ConnectorError('the Vault PKI connector revokes certificates with a serial', false);
      const s = vaultSerial(serial);
      const r = await httpRequest(`${base}/revoke`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ serial_number: s }), timeoutMs: ctx.timeoutMs, caPem: config.caPem }, 'vault revoke');
      if (r.status !== 200 && r.status !== 204) throw fail('revoke', r.status);
      const c = await httpRequest(`${base}/cert/${encodeURIComponent(s)}`, { method: 'GET', headers, timeoutMs: ctx.timeoutMs, caPem: config.caPem }, 'vault read cert');
      if (c.status !== 200) throw fail('read cert', c.status);
      const t = (parseJson(c.text) as { data?: { revocation_time?: unknown } } | null)?.data?.revocation_time;
      if (typeof t !== 'number' || t <= 0) throw new ConnectorError('vault: certificate not reported revoked after revoke', true);
      return { detail: `vault revoked ${s} at ${new Date(t * 1000).toISOString()}` };
    },
    async testConnection(ctx) {
      const r = await httpRequest(`${base}/ca/pem`, { method: 'GET', headers, timeoutMs: ctx.timeoutMs, caPem: config.caPem }, 'vault ca');
      if (r.status !== 200) throw fail('ca/pem', r.status);
      return { detail: 'vault PKI mount reachable' };
    },
  };
}
