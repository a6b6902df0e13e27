// A Caddy edge with `client_auth mode request` accepts any client certificate — one from a CA no
// trust anchor names, or a self-signed one claiming a victim's CN — and forwards it to the backend
// (Client-Cert, bare base64 DER). With a trust anchor configured, the backend's line (it carries
// the whole certificate, so its issuer) is cert_untrusted; with none, nothing is invented. A forged
// certificate — made with the anchor's subject DN as its issuer name but signed by the attacker's own
// CA key — names the anchor, yet its signature is not the anchor's: signature_not_by_anchor.
// Real caddy, real openssl certificates, both database runtimes.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caddyUnverifiedEdge, findCaddy, startCaddy } from '../../testing/caddy.ts';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '../../testing/databases.ts';
import { createGatewayPki, tlsRequest, type GatewayPki } from '../../testing/gateway-pki.ts';
import { freePort } from '../../testing/processes.ts';
import { ingestStream } from '../ingest/index.ts';
import { allEvents } from '../ingest/testing/stored-events.ts';
import { addTrustAnchor } from './store.ts';

const CADDY = findCaddy();
const IN_CI = process.env.CI === 'true';
if (!CADDY && !IN_CI) console.warn('untrusted-real.test.ts: skipped — caddy is not installed; set CI=true to make this a failure');

const CLIENTS = ['good', 'untrusted', 'selfsigned', 'forged'] as const;
type Client = (typeof CLIENTS)[number];

(CADDY || IN_CI ? describe : describe.skip)('unverified client certificates through a Caddy `mode request` edge', () => {
  let pki: GatewayPki;
  let backendLog = '';
  let edgeLog = '';

  beforeAll(async () => {
    if (!CADDY) throw new Error('CI=true but caddy is not installed');
    pki = createGatewayPki('holdfast-untrusted-');
    mkdirSync(join(pki.dir, 'logs'));
    // A self-signed certificate claiming the good client's CN (svc-a).
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(pki.dir, 'self.key'), '-out', join(pki.dir, 'self.crt'), '-days', '30', '-subj', '/O=Test/CN=svc-a'], { stdio: 'ignore' });
    // The attacker's CA: the trusted CA's subject DN (so the leaf names it as issuer), another key.
    const ossl = (...args: string[]) => execFileSync('openssl', args, { cwd: pki.dir, stdio: 'ignore' });
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
    ossl('req', '-x509', ...ec, '-keyout', 'forged-ca.key', '-out', 'forged-ca.crt', '-days', '30', '-subj', '/CN=Test Client CA/O=Test');
    ossl('req', ...ec, '-keyout', 'forged.key', '-out', 'forged.csr', '-subj', '/O=Test/CN=svc-a');
    ossl('x509', '-req', '-in', 'forged.csr', '-CA', 'forged-ca.crt', '-CAkey', 'forged-ca.key', '-CAcreateserial', '-out', 'forged.crt', '-days', '30');
    const issuer = (f: string) => execFileSync('openssl', ['x509', '-in', f, '-noout', '-issuer', '-nameopt', 'RFC2253'], { encoding: 'utf8' }).trim();
    expect(issuer(join(pki.dir, 'forged.crt'))).toBe(issuer(pki.clients.good.certPath));
    const [edge, backend] = [await freePort(), await freePort()];
    const caddyfile = caddyUnverifiedEdge(pki.dir, { certPath: pki.serverCertPath, keyPath: pki.serverKeyPath }, { edge, backend, edgeLog: true });
    const caddy = await startCaddy(CADDY, pki.dir, caddyfile, [edge, backend]);
    const files: Record<Client, [string, string]> = {
      good: [pki.clients.good.certPath, pki.clients.good.keyPath],
      untrusted: [pki.clients.untrusted.certPath, pki.clients.untrusted.keyPath],
      selfsigned: [join(pki.dir, 'self.crt'), join(pki.dir, 'self.key')],
      forged: [join(pki.dir, 'forged.crt'), join(pki.dir, 'forged.key')],
    };
    for (const c of CLIENTS) {
      const { status } = await tlsRequest(pki, { port: edge, path: `/case/${c}`, client: { certPath: files[c][0], keyPath: files[c][1] } });
      expect(status, c).toBe(200);
    }
    await caddy.stop();
    backendLog = readFileSync(join(pki.dir, 'logs', 'backend.json'), 'utf8');
    edgeLog = readFileSync(join(pki.dir, 'logs', 'edge.json'), 'utf8');
  }, 90_000);
  afterAll(() => pki?.cleanup());

  for (const runtime of RUNTIMES) {
    describe(runtime, () => {
      let t: TestDatabase | undefined;
      const verdicts = { before: new Map<string, string>(), after: new Map<string, string>() };
      const identities = { before: new Map<string, string | null>(), after: new Map<string, string | null>() };
      const edgeWarnings = { before: [] as string[], after: [] as string[] };

      beforeAll(async () => {
        if (runtime === 'postgres' && !(await postgresAvailable())) {
          if (IN_CI) throw new Error('CI=true but PostgreSQL is not reachable');
          return;
        }
        t = await openTestDatabase(runtime);
        const ingest = async (source: 'before' | 'after') => {
          const r = await ingestStream(t!.db, [backendLog], { format: 'caddy', sourceName: source, actor: 'test' });
          expect(r, JSON.stringify(r.errors)).toMatchObject({ accepted: 4, rejected: 0 });
          for (const e of (await allEvents(t!.db)).filter((x) => x.source === source)) {
            const name = /\/case\/(\w+)/.exec(e.route ?? '')?.[1] ?? '?';
            verdicts[source].set(name, `${e.verdict}/${e.reason}`);
            identities[source].set(name, e.identity);
          }
          // The edge's own log: CN and serial of each certificate, not the certificate.
          const edge = await ingestStream(t!.db, [edgeLog], { format: 'caddy', sourceName: `${source}-edge`, actor: 'test' });
          expect(edge, JSON.stringify(edge.errors)).toMatchObject({ accepted: 4, rejected: 0 });
          edgeWarnings[source] = edge.warnings ?? [];
        };
        await ingest('before');
        await addTrustAnchor(t.db, { ca: readFileSync(pki.caPath), actor: 'test' });
        await ingest('after');
      }, 120_000);
      afterAll(async () => t?.drop());

      it('without a trust anchor nothing is invented: the certificates are not judged', () => {
        if (!t) return;
        expect(Object.fromEntries(verdicts.before)).toEqual({ good: 'ok/binding_unknown', untrusted: 'ok/binding_unknown', selfsigned: 'ok/binding_unknown', forged: 'ok/binding_unknown' });
      });

      it('with the CA as trust anchor: its certificate stands, another CA\'s is issuer_not_anchor, a self-signed one self_signed, one naming the CA but signed by another key signature_not_by_anchor', () => {
        if (!t) return;
        expect(Object.fromEntries(verdicts.after)).toEqual({
          good: 'ok/binding_unknown', untrusted: 'cert_untrusted/issuer_not_anchor', selfsigned: 'cert_untrusted/self_signed', forged: 'cert_untrusted/signature_not_by_anchor',
        });
      });

      it('the Caddy edge\'s own log (CN and serial, no certificate) cannot be judged: the batch says so once anchors are configured', () => {
        if (!t) return;
        expect(edgeWarnings.before.filter((w) => /trust anchors/.test(w))).toEqual([]);
        expect(edgeWarnings.after.filter((w) => /trust anchors/.test(w))).toEqual([
          '4 lines carried a client certificate the gateway logged no verification of, by its facts only (such as Caddy\'s CN and serial), not the certificate itself: the trust anchors cannot judge who issued it (an issuer name is no proof, a signature needs the certificate). Log the certificate where it is forwarded (a Client-Cert header at the backend) to have it checked.',
        ]);
      });

      it('a self-signed or forged certificate claiming svc-a\'s CN is not filed under svc-a once an anchor says it is untrusted', () => {
        if (!t) return;
        expect(Object.fromEntries(identities.after)).toEqual({ good: 'svc-a', untrusted: null, selfsigned: null, forged: null });
      });
    });
  }
});
