// Test and benchmark input: a deterministic NGINX JSON access log (the documented
// holdfast_json format, without $ssl_client_escaped_cert), written as a stream.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

const VERIFY = ['SUCCESS', 'SUCCESS', 'SUCCESS', 'SUCCESS', 'SUCCESS', 'SUCCESS', 'NONE', 'NONE', 'FAILED:certificate revoked', 'FAILED:certificate has expired'];

/** One log line; `i` decides everything (same i → same line). */
export function nginxJsonLine(i: number, base = Date.UTC(2026, 10, 22, 0, 0, 0)): string {
  const workload = i % 200;
  const verify = VERIFY[(i * 7) % VERIFY.length]!;
  const withCert = verify !== 'NONE';
  const sha1 = createHash('sha1').update(`cert-${workload}`).digest('hex');
  const scheme = i % 5 === 0 ? 'DPoP' : i % 5 === 1 ? '' : 'Bearer';
  const t = new Date(base + i * 10).toISOString().replace(/\.\d{3}Z$/, '+00:00');
  return JSON.stringify({
    time: t,
    request_id: createHash('md5').update(`req-${i}`).digest('hex'),
    remote_addr: `10.0.${workload % 250}.${(i >> 8) % 250}`,
    method: i % 4 === 0 ? 'POST' : 'GET',
    scheme: 'https',
    host: 'api.example.com',
    uri: `/v1/orders/${i % 10_000}`,
    status: verify.startsWith('FAILED') ? 400 : i % 13 === 0 ? 401 : 200,
    ssl_client_verify: verify,
    ssl_client_s_dn: withCert ? `O=Acme,CN=svc-${workload}` : '',
    ssl_client_i_dn: withCert ? 'CN=Acme Issuing CA,O=Acme' : '',
    ssl_client_serial: withCert ? (0x1000 + workload).toString(16).toUpperCase() : '',
    ssl_client_fingerprint: withCert ? sha1 : '',
    ssl_client_v_start: '',
    ssl_client_v_end: '',
    ssl_client_escaped_cert: '',
    authz_scheme: scheme,
    has_dpop: scheme === 'DPoP' ? '1' : '0',
    http_dpop: '',
  });
}

/** Writes `n` lines to `file`; returns the byte count. */
export async function writeNginxJsonLog(file: string, n: number, start = 0): Promise<number> {
  const out = createWriteStream(file);
  let bytes = 0;
  let buf: string[] = [];
  for (let i = start; i < start + n; i++) {
    buf.push(nginxJsonLine(i));
    if (buf.length === 5000 || i === start + n - 1) {
      const s = buf.join('\n') + '\n';
      bytes += Buffer.byteLength(s);
      if (!out.write(s)) await once(out, 'drain');
      buf = [];
    }
  }
  out.end();
  await once(out, 'finish');
  return bytes;
}
