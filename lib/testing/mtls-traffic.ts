// Benchmark and test input shaped like a production NGINX mTLS gateway's log, in the exact
// log_format the Ingest page recommends (NGINX_JSON_LOG_FORMAT, `$ssl_client_escaped_cert`
// included): a fleet of workloads, each with its own RSA-2048 client certificate (a real one,
// issued by a test CA, URL-escaped the way NGINX escapes it) and its pods' /24, each calling the few
// APIs it depends on (1 to 6 of 30 route prefixes, the first ones most), popular workloads far more
// often than the rest; 95 % of requests verify, 5 % fail the gateway's certificate
// check (revoked, expired, untrusted — logged with status 400 as NGINX does) — or, with
// `failureRate`, any mix. Deterministic for a seed; generated on the fly (no file needed).
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { Readable } from 'node:stream';
import * as x509 from '@peculiar/x509';
import { Rng } from '../seed/prng.ts';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export interface MtlsTrafficOptions {
  seed?: number;
  /** Workloads (one client certificate each). */
  workloads?: number;
  /** Share of requests the gateway's certificate check fails (default 0.05). */
  failureRate?: number;
  /** Time of the first request (ms) and the request rate the timestamps follow. */
  startMs?: number;
  perSecond?: number;
}

interface Workload {
  name: string;
  escaped: string;
  escapedBad: string;
  dn: string;
  serial: string;
  sha1: string;
  notBefore: string;
  notAfter: string;
  net: string;
  /** The route prefixes this workload calls (a service depends on a few APIs, not on all of them). */
  routes: string[];
}

const ALG = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 } as const;
const ROUTES = ['orders', 'payments', 'invoices', 'customers', 'inventory', 'shipments', 'catalog', 'pricing', 'accounts', 'tokens', 'reports', 'events', 'users', 'carts', 'refunds', 'quotes', 'vendors', 'contracts', 'ledger', 'audit', 'search', 'media', 'tenants', 'webhooks', 'jobs', 'exports', 'alerts', 'metrics', 'sessions', 'profiles'];
const FAILURES = ['FAILED:certificate revoked', 'FAILED:certificate has expired', 'FAILED:unable to get local issuer certificate'] as const;

/** NGINX's `$ssl_client_escaped_cert`: the PEM with spaces, newlines, + and / escaped. */
function nginxEscape(pem: string): string {
  return pem.replace(/[ \n+/=]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0'));
}

const nginxTime = (d: Date) => d.toUTCString().replace(/^\w+, (\d+) (\w+) (\d+) (\S+) GMT$/, (_m, day, mon, y, t) => `${mon} ${String(Number(day)).padStart(2, ' ')} ${t} ${y} GMT`);

async function makeFleet(n: number, rng: Rng): Promise<Workload[]> {
  const caKeys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const otherCaKeys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const clientKeys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const now = Date.UTC(2026, 10, 1);
  const issue = async (name: string, serial: string, signer: CryptoKeyPair, issuer: string) =>
    x509.X509CertificateGenerator.create({
      serialNumber: serial,
      subject: `CN=${name}, OU=prod, O=Holdfast Bench`,
      issuer,
      notBefore: new Date(now - 30 * 86_400_000),
      notAfter: new Date(now + 335 * 86_400_000),
      signingAlgorithm: ALG,
      publicKey: clientKeys.publicKey,
      signingKey: signer.privateKey!,
      extensions: [new x509.BasicConstraintsExtension(false), new x509.ExtendedKeyUsageExtension(['1.3.6.1.5.5.7.3.2'])],
    });
  const out: Workload[] = [];
  for (let i = 0; i < n; i++) {
    const name = `svc-${i.toString(36)}`;
    const serial = (0x10000 + i).toString(16).toUpperCase();
    const cert = await issue(name, serial, caKeys as CryptoKeyPair, 'CN=Bench Issuing CA, O=Holdfast Bench');
    const bad = await issue(name, serial, otherCaKeys as CryptoKeyPair, 'CN=Unknown CA, O=Elsewhere');
    const sha1 = Buffer.from(await webcrypto.subtle.digest('SHA-1', cert.rawData)).toString('hex');
    out.push({
      name,
      escaped: nginxEscape(cert.toString('pem') + '\n'),
      escapedBad: nginxEscape(bad.toString('pem') + '\n'),
      dn: `CN=${name},OU=prod,O=Holdfast Bench`,
      serial,
      sha1,
      notBefore: nginxTime(cert.notBefore),
      notAfter: nginxTime(cert.notAfter),
      net: `10.${(i >> 8) & 255}.${i & 255}`,
      routes: Array.from({ length: 1 + (i % 6) }, (_, k) => ROUTES[(i * 7 + k * 11) % ROUTES.length]!),
    });
    void rng;
  }
  return out;
}

export interface MtlsTraffic {
  workloads: number;
  /** Line `i` (0-based), deterministic. */
  line(i: number): string;
  /** Lines [from, to) as a stream of ~256 KiB chunks. */
  stream(to: number, from?: number): Readable;
}

/** A fleet and its traffic. Certificates are made once (≈ 5 ms each). */
export async function mtlsTraffic(o: MtlsTrafficOptions = {}): Promise<MtlsTraffic> {
  const seed = o.seed ?? 7;
  const n = o.workloads ?? 2000;
  const failureRate = o.failureRate ?? 0.05;
  const start = o.startMs ?? Date.UTC(2026, 11, 4, 8, 0, 0);
  const perSecond = o.perSecond ?? 140;
  const fleet = await makeFleet(n, new Rng(seed));
  const line = (i: number): string => {
    const r = new Rng(`${seed}:${i}`);
    // Power-law popularity: a few workloads make most of the calls.
    const w = fleet[Math.min(n - 1, Math.floor(n * r.next() ** 3))]!;
    const t = new Date(start + Math.floor((i * 1000) / perSecond)).toISOString().replace(/\.\d{3}Z$/, '+00:00');
    const fail = r.next() < failureRate ? FAILURES[r.int(0, FAILURES.length - 1)]! : null;
    const route = w.routes[Math.min(w.routes.length - 1, Math.floor(w.routes.length * r.next() ** 2))]!;
    const bearer = r.next() < 0.9;
    // 32 hex digits like NGINX's $request_id; the line number in front keeps them unique (a line's
    // generator is seeded with 32 bits, so random ids alone collide a few times in a million).
    const requestId = (i >>> 0).toString(16).padStart(8, '0') + r.u32().toString(16).padStart(8, '0') + r.u32().toString(16).padStart(8, '0') + r.u32().toString(16).padStart(8, '0');
    return JSON.stringify({
      time: t,
      request_id: requestId,
      // An edge with no X-Request-ID arriving logs its own $request_id as the correlation id.
      correlation_id: requestId,
      remote_addr: `${w.net}.${r.int(2, 60)}`,
      method: r.next() < 0.7 ? 'GET' : 'POST',
      scheme: 'https',
      host: 'api.bench.example',
      uri: `/v1/${route}/${r.int(1, 999_999)}`,
      status: fail ? 400 : r.next() < 0.97 ? 200 : 404,
      ssl_client_verify: fail ?? 'SUCCESS',
      ssl_client_s_dn: w.dn,
      ssl_client_i_dn: fail === FAILURES[2] ? 'O=Elsewhere,CN=Unknown CA' : 'O=Holdfast Bench,CN=Bench Issuing CA',
      ssl_client_serial: w.serial,
      ssl_client_fingerprint: w.sha1,
      ssl_client_v_start: w.notBefore,
      ssl_client_v_end: w.notAfter,
      ssl_client_escaped_cert: fail === FAILURES[2] ? w.escapedBad : w.escaped,
      authz_scheme: bearer ? 'Bearer' : '',
      has_dpop: '0',
      http_dpop: '',
    });
  };
  return {
    workloads: n,
    line,
    stream(to, from = 0) {
      let i = from;
      return new Readable({
        read() {
          let chunk = '';
          while (i < to && chunk.length < 256 * 1024) chunk += line(i++) + '\n';
          this.push(chunk.length ? chunk : null);
        },
      });
    },
  };
}
