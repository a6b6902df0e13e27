// smallstep step-ca: `POST /1.0/revoke { serial, ott, passive: true, reasonCode, reason }` with a
// one-time token signed by a JWK provisioner key (iss = provisioner, sub = serial in decimal,
// aud = <ca>/1.0/revoke, 5-minute life), confirmed by fetching the CA's CRL (`GET /1.0/crl`,
// DER; step-ca's `crl.enabled`) and finding the serial there. Without a CRL there is no way to
// read a revocation back, so the leg is not confirmed (and says why).
import { randomUUID } from 'node:crypto';
import { importJWK, SignJWT, type JWK } from 'jose';
import { z } from 'zod';
import { normalizeSerial } from './crl-publisher.ts';
import { httpRequest } from './http.ts';
import { peculiarX509 } from '../trust/peculiar-x509.ts';
import { ConnectorError, type RevocationConnector } from './types.ts';

export const stepCaConfigSchema = z.object({
  url: z.string().url(),
  provisioner: z.string().min(1),
  caPem: z.string().optional(),
});
export type StepCaConfig = z.infer<typeof stepCaConfigSchema>;
/** The JWK provisioner's private key (decrypted), as JSON with `kid`. */
export const stepCaSecretsSchema = z.object({ provisionerJwk: z.string().min(2) });
export type StepCaSecrets = z.infer<typeof stepCaSecretsSchema>;

export const serialToDecimal = (serial: string) => BigInt(`0x${normalizeSerial(serial)}`).toString(10);

export function createStepCaConnector(name: string, config: StepCaConfig, secrets: StepCaSecrets): RevocationConnector {
  const base = config.url.replace(/\/$/, '');
  const jwk = JSON.parse(secrets.provisionerJwk) as JWK & { kid?: string; alg?: string };
  async function ott(serialDec: string, now: Date): Promise<string> {
    const alg = jwk.alg ?? (jwk.kty === 'EC' ? 'ES256' : jwk.kty === 'OKP' ? 'EdDSA' : 'RS256');
    const key = await importJWK(jwk, alg);
    const iat = Math.floor(now.getTime() / 1000);
    return new SignJWT({})
      .setProtectedHeader({ alg, kid: jwk.kid, typ: 'JWT' })
      .setIssuer(config.provisioner)
      .setSubject(serialDec)
      .setAudience(`${base}/1.0/revoke`)
      .setJti(randomUUID())
      .setIssuedAt(iat)
      .setNotBefore(iat)
      .setExpirationTime(iat + 300)
      .sign(key);
  }
  async function crlSerials(timeoutMs: number): Promise<Set<string>> {
    const r = await httpRequest(`${base}/1.0/crl`, { method: 'GET', timeoutMs, caPem: config.caPem, binary: true }, 'step-ca crl');
    if (r.status === 404) throw new ConnectorError('step-ca serves no CRL (enable crl in ca.json): the revocation cannot be confirmed', false);
    if (r.status !== 200) throw new ConnectorError(`step-ca crl: HTTP ${r.status}`, r.status >= 500);
    const crl = new (await peculiarX509()).X509Crl(new Uint8Array(r.body!));
    return new Set(crl.entries.map((e) => normalizeSerial(e.serialNumber)));
  }
  return {
    kind: 'step-ca',
    name,
    async execute(target, ctx) {
      const serial = target.certificate?.serial;
      if (target.kind !== 'certificate' || !serial) throw new ConnectorError('the step-ca connector revokes certificates with a serial', false);
      const dec = serialToDecimal(serial);
      const body = JSON.stringify({ serial: dec, ott: await ott(dec, ctx.now()), passive: true, reasonCode: 0, reason: target.reason.slice(0, 200) });
      const r = await httpRequest(`${base}/1.0/revoke`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, timeoutMs: ctx.timeoutMs, caPem: config.caPem }, 'step-ca revoke');
      if (r.status !== 200) throw new ConnectorError(`step-ca revoke: HTTP ${r.status}`, r.status >= 500 || r.status === 429);
      if (!(await crlSerials(ctx.timeoutMs)).has(normalizeSerial(serial))) throw new ConnectorError('step-ca CRL does not list the serial yet', true);
      return { detail: `step-ca revoked serial ${dec}; listed in its CRL` };
    },
    async testConnection(ctx) {
      const r = await httpRequest(`${base}/health`, { method: 'GET', timeoutMs: ctx.timeoutMs, caPem: config.caPem }, 'step-ca health');
      if (r.status !== 200) throw new ConnectorError(`step-ca health: HTTP ${r.status}`, true);
      await ott('0', ctx.now()); // the provisioner key loads and signs
      return { detail: 'step-ca reachable; provisioner key signs' };
    },
  };
}
