// The stored status of a certificate a trusted CA's CRL lists, on both runtimes, with a real
// OpenSSL CA and CRL: revoked (with the CRL's time and reason) whether the batch brings the
// certificate after the CRL is held, or the CRL arrives after the certificate was recorded; a
// certificate the CRL does not list stays active; the finding rules see it as no longer live.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCertLive } from '../../risk/index.ts';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '../../testing/databases.ts';
import { generateCrl, issueLeaf, makeCa, revokeLeaf, setRevocationTime, type TestCa, type TestLeaf } from '../../testing/crl-pki.ts';
import { thumbprintCert } from '../../binding/index.ts';
import { getCertificateDetail } from '../estate/certificate-detail.ts';
import { buildEstateSnapshot } from '../findings/index.ts';
import { ingestStream } from '../ingest/index.ts';
import { addCrl, addTrustAnchor, listTrustAnchors } from './store.ts';

const HOUR = 3_600_000;
let root = '';
let ca: TestCa;
let early: TestLeaf;
let late: TestLeaf;
let good: TestLeaf;
let hold: TestLeaf;
let crlEarly = '';
let crlLate = '';
const EARLY_AT = new Date(Date.now() - 5 * HOUR);
const LATE_AT = new Date(Date.now() - 3 * HOUR);
const HOLD_AT = new Date(Date.now() - 4 * HOUR);
const secs = (d: Date) => new Date(Math.floor(d.getTime() / 1000) * 1000).toISOString();

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'holdfast-cert-status-'));
  ca = makeCa(root, 'ca', { subj: '/CN=Status Client CA/O=Test' });
  early = issueLeaf(ca, 'early', '/O=Test/CN=svc-early');
  late = issueLeaf(ca, 'late', '/O=Test/CN=svc-late');
  good = issueLeaf(ca, 'good', '/O=Test/CN=svc-good');
  hold = issueLeaf(ca, 'hold', '/O=Test/CN=svc-hold');
  revokeLeaf(ca, early, 'keyCompromise');
  setRevocationTime(ca, early.serialHex, EARLY_AT);
  crlEarly = generateCrl(ca, 'crl-early');
  revokeLeaf(ca, late, 'superseded');
  setRevocationTime(ca, late.serialHex, LATE_AT);
  revokeLeaf(ca, hold, 'certificateHold');
  setRevocationTime(ca, hold.serialHex, HOLD_AT);
  crlLate = generateCrl(ca, 'crl-late');
}, 60_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

/** An NGINX JSON line (the recommended format) of a request the gateway accepted without checking a CRL. */
function nginxLine(leaf: TestLeaf, n: number): string {
  return JSON.stringify({
    time: new Date(Date.now() - 60_000).toISOString(), request_id: `status-${leaf.serialHex}-${n}`, remote_addr: '10.0.0.7',
    method: 'GET', scheme: 'https', host: 'api.test', uri: `/s/${n}`, status: 200, ssl_client_verify: 'SUCCESS',
    ssl_client_s_dn: leaf.subject, ssl_client_i_dn: leaf.issuer, ssl_client_serial: leaf.serialHex,
    ssl_client_escaped_cert: encodeURIComponent(leaf.pem), authz_scheme: '', has_dpop: '0',
  });
}

for (const runtime of RUNTIMES) {
  describe(`certificate status from a trusted CRL on ${runtime}`, { timeout: 240_000 }, () => {
    let t: TestDatabase | null = null;
    beforeAll(async () => {
      if (runtime === 'postgres' && !(await postgresAvailable())) return;
      t = await openTestDatabase(runtime);
    }, 120_000);
    afterAll(async () => t?.drop());

    const ingest = async (lines: string[]) => {
      const s = await ingestStream(t!.db, lines.map((l) => `${l}\n`), { format: 'nginx-json', sourceName: 'status-nginx', actor: 'test' });
      expect(s.rejected, JSON.stringify(s.errors.slice(0, 3))).toBe(0);
    };
    const detail = async (leaf: TestLeaf) => (await getCertificateDetail(t!.db, thumbprintCert(leaf.pem).x5tS256)).certificate;

    it('a certificate the held CRL lists is stored revoked by the CRL (time, reason); one it does not list stays active', async (ctx) => {
      if (!t) return ctx.skip();
      await addTrustAnchor(t.db, { ca: readFileSync(ca.certPath), crl: readFileSync(crlEarly), actor: 'cli' });
      await ingest([nginxLine(early, 1), nginxLine(good, 1)]);
      expect(await detail(early)).toMatchObject({ status: 'revoked', revokedAt: secs(EARLY_AT), revocationReason: 'crl:keyCompromise' });
      expect(await detail(good)).toMatchObject({ status: 'active', revokedAt: null, revocationReason: null });
    });

    it('a newer CRL that lists a certificate Holdfast already holds marks it revoked when the CRL is added', async (ctx) => {
      if (!t) return ctx.skip();
      await ingest([nginxLine(late, 1)]);
      expect(await detail(late)).toMatchObject({ status: 'active', revocationReason: null });
      const [anchor] = await listTrustAnchors(t.db);
      await addCrl(t.db, { anchorId: anchor!.id, crl: readFileSync(crlLate), actor: 'cli' });
      expect(await detail(late)).toMatchObject({ status: 'revoked', revokedAt: secs(LATE_AT), revocationReason: 'crl:superseded' });
      const [audit] = await t.db.query<{ details: { certificatesRevoked: number } }>(`SELECT details FROM "AuditEntry" WHERE action = 'trust_anchor.crl' ORDER BY seq DESC LIMIT 1`);
      expect(audit!.details.certificatesRevoked).toBe(1);
      // Seen again: still revoked by the same entry (never moved to a later time).
      await ingest([nginxLine(late, 2), nginxLine(early, 2)]);
      expect(await detail(late)).toMatchObject({ status: 'revoked', revokedAt: secs(LATE_AT) });
      expect(await detail(early)).toMatchObject({ status: 'revoked', revokedAt: secs(EARLY_AT), revocationReason: 'crl:keyCompromise' });
    });

    it('a certificate a gateway refused as revoked takes the CRL\'s time and reason', async (ctx) => {
      if (!t) return ctx.skip();
      const refused = JSON.parse(nginxLine(hold, 1)) as Record<string, unknown>;
      await ingest([JSON.stringify({ ...refused, status: 400, ssl_client_verify: 'FAILED:certificate revoked' })]);
      expect(await detail(hold)).toMatchObject({ status: 'revoked', revokedAt: secs(HOLD_AT), revocationReason: 'crl:certificateHold' });
    });

    it('the finding rules read the CRL-revoked certificates as no longer authenticating', async (ctx) => {
      if (!t) return ctx.skip();
      const now = new Date();
      const snap = await buildEstateSnapshot((sql, params) => t!.db.query(sql, params), now);
      const live = new Map(snap.certificates.map((c) => [c.x5tS256, isCertLive(c, now)]));
      expect([early, late, good].map((l) => live.get(thumbprintCert(l.pem).x5tS256))).toEqual([false, false, true]);
    });
  });
}
