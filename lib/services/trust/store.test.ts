// Trust anchors and CRLs in the database on both runtimes: adding (idempotent, audited, all or
// nothing), replacing a CRL only by a newer one, stale CRLs, removing; and the review at ingest —
// lines of an NGINX that checks no CRL, and of a Caddy (no issuer logged), judged before and after
// the CA and its CRL are added and after the anchor is removed.
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isHoldfastError } from '../../errors.ts';
import { TrustInputError } from '../../trust/errors.ts';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '../../testing/databases.ts';
import { generateCrl, issueLeaf, makeCa, revokeLeaf, setRevocationTime, type TestCa, type TestLeaf } from '../../testing/crl-pki.ts';
import { listEvents, parseEventFilters } from '../estate/lists.ts';
import { ingestStream } from '../ingest/index.ts';
import { addCrl, addTrustAnchor, listTrustAnchors, removeTrustAnchor } from './store.ts';

const HOUR = 3_600_000;
let root = '';
let ca: TestCa;
let impostor: TestCa;
let revoked: TestLeaf;
let good: TestLeaf;
let crl1 = '';
let crl2 = '';
let forged = '';
const REVOKED_AT = new Date(Date.now() - 2 * HOUR);

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'holdfast-trust-store-'));
  ca = makeCa(root, 'ca', { subj: '/CN=Store Client CA/O=Test' });
  impostor = makeCa(root, 'impostor', { subj: '/CN=Store Client CA/O=Test' });
  revoked = issueLeaf(ca, 'revoked', '/O=Test/CN=svc-revoked');
  good = issueLeaf(ca, 'good', '/O=Test/CN=svc-good');
  revokeLeaf(ca, revoked, 'keyCompromise');
  setRevocationTime(ca, revoked.serialHex, REVOKED_AT);
  crl1 = generateCrl(ca, 'crl1');
  const later = issueLeaf(ca, 'later', '/O=Test/CN=svc-later');
  revokeLeaf(ca, later, 'superseded');
  crl2 = generateCrl(ca, 'crl2');
  forged = generateCrl(impostor, 'forged');
}, 60_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

const bytes = (p: string) => readFileSync(p);

/** An NGINX JSON line (the recommended format) for a request with this client certificate. */
function nginxLine(leaf: TestLeaf, o: { at?: Date; verify?: string; status?: number; id?: string } = {}): { id: string; line: string } {
  const id = o.id ?? randomUUID();
  return {
    id,
    line: JSON.stringify({
      time: (o.at ?? new Date(Date.now() - 60_000)).toISOString(),
      request_id: id,
      remote_addr: '10.0.0.7',
      method: 'GET',
      scheme: 'https',
      host: 'api.test',
      uri: `/r/${id}`,
      status: o.status ?? 200,
      ssl_client_verify: o.verify ?? 'SUCCESS',
      ssl_client_s_dn: leaf.subject,
      ssl_client_i_dn: leaf.issuer,
      ssl_client_serial: leaf.serialHex,
      ssl_client_escaped_cert: encodeURIComponent(leaf.pem),
      authz_scheme: '',
      has_dpop: '0',
    }),
  };
}

/** A Caddy access line: CN and decimal serial only, the certificate's SHA-256 echoed when `sha256Hex` is given. */
function caddyLine(leaf: TestLeaf, o: { sha256Hex?: string } = {}): { id: string; line: string } {
  const id = `rid-${randomUUID()}`;
  return {
    id,
    line: JSON.stringify({
      level: 'info', ts: (Date.now() - 60_000) / 1000, logger: 'http.log.access.log0', msg: 'handled request',
      request: {
        remote_ip: '10.0.0.8', remote_port: '40000', proto: 'HTTP/2.0', method: 'GET', host: 'api.test:8443', uri: `/c/${id}`,
        headers: { 'X-Request-Id': [id] },
        tls: { resumed: false, version: 772, cipher_suite: 4865, proto: 'h2', server_name: 'api.test', client_common_name: /CN=([^,]+)/.exec(leaf.subject)![1], client_serial: BigInt(`0x${leaf.serialHex}`).toString(10) },
      },
      duration: 0.001, size: 2, status: 200,
      resp_headers: o.sha256Hex ? { 'X-Client-Cert-Sha256': [o.sha256Hex] } : {},
    }),
  };
}

function sha256HexOf(leaf: TestLeaf): string {
  const der = Buffer.from(leaf.pem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
  return createHash('sha256').update(der).digest('hex');
}

for (const runtime of RUNTIMES) {
  describe(`trust anchors on ${runtime}`, { timeout: 240_000 }, () => {
    let t: TestDatabase | null = null;

    beforeAll(async () => {
      if (runtime === 'postgres' && !(await postgresAvailable())) return;
      t = await openTestDatabase(runtime);
    }, 120_000);
    afterAll(async () => t?.drop());

    const audit = async (action: string) => (await t!.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "AuditEntry" WHERE action = $1`, [action]))[0]!.n;

    async function ingest(lines: Array<{ line: string }>, format: string) {
      const s = await ingestStream(t!.db, lines.map((l) => `${l.line}\n`), { format, sourceName: `trust-${format}`, actor: 'test' });
      expect(s.rejected, JSON.stringify(s.errors.slice(0, 3))).toBe(0);
      expect(s.accepted).toBe(lines.length);
    }

    async function verdicts(): Promise<Map<string, { verdict: string; reason: string | null }>> {
      const page = await listEvents(t!.db, parseEventFilters({ limit: '500' }), {});
      return new Map(page.items.map((r) => [r.requestId ?? r.correlationId ?? '', { verdict: r.verdict, reason: r.reason }]));
    }

    it('adds a CA with its CRL, audited once; the same CA and CRL again change nothing', async (ctx) => {
      if (!t) return ctx.skip();
      const r = await addTrustAnchor(t.db, { ca: bytes(ca.certPath), crl: bytes(crl1), actor: 'user:admin@test' });
      expect(r).toMatchObject({ created: true, ca: { subject: 'O=Test,CN=Store Client CA', issuer: 'O=Test,CN=Store Client CA' }, crlEntries: 1, crlChange: 'added', warnings: [] });
      expect(r.crl).toMatchObject({ number: '1', stale: false, entries: 1 });
      const again = await addTrustAnchor(t.db, { ca: bytes(ca.certPath), crl: bytes(crl1), actor: 'user:admin@test' });
      expect(again).toMatchObject({ id: r.id, created: false, crlChange: 'unchanged', crlEntries: 1 });
      expect(await audit('trust_anchor.add')).toBe(1);
      expect(await audit('trust_anchor.crl')).toBe(1);
      const list = await listTrustAnchors(t.db);
      expect(list).toHaveLength(1);
      expect(list[0]).toMatchObject({ id: r.id, subject: 'O=Test,CN=Store Client CA', createdBy: 'user:admin@test', crl: { number: '1', entries: 1 } });
      const entries = await t.db.query<{ serial: string; reason: string; revocationDate: Date }>(`SELECT serial, reason, "revocationDate" FROM "CrlEntry"`);
      expect(entries.map((e) => [e.serial, e.reason, new Date(e.revocationDate).toISOString()])).toEqual([[revoked.serialHex, 'keyCompromise', new Date(Math.floor(REVOKED_AT.getTime() / 1000) * 1000).toISOString()]]);
    });

    it('a newer CRL replaces the current one; an older one is refused (conflict) and changes nothing', async (ctx) => {
      if (!t) return ctx.skip();
      const [a] = await listTrustAnchors(t.db);
      const newer = await addCrl(t.db, { anchorId: a!.id, crl: bytes(crl2), actor: 'cli' });
      expect(newer).toMatchObject({ crlChange: 'replaced', crlEntries: 2, crl: { number: '2' } });
      const older = await addCrl(t.db, { anchorId: a!.id, crl: bytes(crl1), actor: 'cli' }).catch((e: unknown) => e);
      expect(isHoldfastError(older) && older.code).toBe('conflict');
      expect((older as Error).message).toMatch(/CRL number 1 is lower than the current CRL's 2/);
      expect((await listTrustAnchors(t.db))[0]!.crl).toMatchObject({ number: '2', entries: 2 });
      expect(await t.db.query(`SELECT 1 FROM "CrlEntry"`)).toHaveLength(2);
      expect(await audit('trust_anchor.crl')).toBe(2);
    });

    it('refuses a CRL not signed by the CA, and a CA whose CRL is refused is not added either', async (ctx) => {
      if (!t) return ctx.skip();
      const [a] = await listTrustAnchors(t.db);
      const e1 = await addCrl(t.db, { anchorId: a!.id, crl: bytes(forged), actor: 'cli' }).catch((e: unknown) => e);
      expect(e1 instanceof TrustInputError && e1.why).toBe('crl_signature');
      const other = makeCa(root, 'other-store', { subj: '/CN=Other Store CA' });
      const e2 = await addTrustAnchor(t.db, { ca: bytes(other.certPath), crl: bytes(forged), actor: 'cli' }).catch((e: unknown) => e);
      expect(e2 instanceof TrustInputError && e2.why).toBe('crl_issuer_mismatch');
      expect((e2 as TrustInputError).details).toMatchObject({ errors: [{ path: 'crl' }] });
      expect(await listTrustAnchors(t.db)).toHaveLength(1);
      const e3 = await addCrl(t.db, { anchorId: randomUUID(), crl: bytes(crl2), actor: 'cli' }).catch((e: unknown) => e);
      expect(isHoldfastError(e3) && e3.code).toBe('not_found');
    });

    it('reports a CRL whose nextUpdate has passed as stale, and an anchor without a CRL', async (ctx) => {
      if (!t) return ctx.skip();
      const in31Days = new Date(Date.now() + 31 * 86_400_000);
      const [a] = await listTrustAnchors(t.db, in31Days);
      expect(a!.crl!.stale).toBe(true);
      expect(a!.warnings).toEqual([expect.stringMatching(/^the CA certificate expired/), expect.stringMatching(/^the CRL is stale: its nextUpdate .* has passed/)]);
      const bare = makeCa(root, 'bare', { subj: '/CN=Bare CA' });
      const r = await addTrustAnchor(t.db, { ca: bytes(bare.certPath), actor: 'cli' });
      expect(r).toMatchObject({ created: true, crlEntries: 0, crl: null, crlChange: null, warnings: [expect.stringMatching(/^no CRL/)] });
      await removeTrustAnchor(t.db, { id: r.id, actor: 'cli' });
    });

    it('judges ingested requests: cert_revoked_unchecked once the CRL is known, not before, not after the anchor is removed', async (ctx) => {
      if (!t) return ctx.skip();
      const [anchor] = await listTrustAnchors(t.db);
      await removeTrustAnchor(t.db, { id: anchor!.id, actor: 'cli' });
      expect(await t.db.query(`SELECT 1 FROM "CrlEntry"`)).toHaveLength(0);

      const batch = () => ({
        revokedOk: nginxLine(revoked),
        goodOk: nginxLine(good),
        refused: nginxLine(revoked, { verify: 'FAILED:certificate revoked', status: 400 }),
        beforeRevocation: nginxLine(revoked, { at: new Date(REVOKED_AT.getTime() - HOUR) }),
        caddySerialOnly: caddyLine(revoked),
      });
      const run = async () => {
        const b = batch();
        await ingest([b.revokedOk, b.goodOk, b.refused, b.beforeRevocation], 'nginx-json');
        await ingest([b.caddySerialOnly], 'caddy');
        const v = await verdicts();
        return Object.fromEntries(Object.entries(b).map(([k, l]) => [k, v.get(l.id)]));
      };

      const without = await run();
      expect(without.revokedOk?.verdict).toMatch(/^(ok|bearer_unbound|bound_not_enforced)$/);
      expect(without.refused).toEqual({ verdict: 'cert_revoked', reason: expect.anything() });

      await addTrustAnchor(t.db, { ca: bytes(ca.certPath), actor: 'cli' });
      const caOnly = await run();
      expect(caOnly).toEqual(without);

      const [a] = await listTrustAnchors(t.db);
      await addCrl(t.db, { anchorId: a!.id, crl: bytes(crl1), actor: 'cli' });
      const withCrl = await run();
      expect(withCrl).toEqual({
        ...without,
        revokedOk: { verdict: 'cert_revoked_unchecked', reason: 'crl:keyCompromise' },
        caddySerialOnly: { verdict: 'cert_revoked_unchecked', reason: 'crl_serial_only:keyCompromise' },
      });

      await removeTrustAnchor(t.db, { id: a!.id, actor: 'cli' });
      expect(await run()).toEqual(without);
      expect(await audit('trust_anchor.remove')).toBeGreaterThanOrEqual(2);
    });

    it('ties a Caddy line to the CRL through a certificate Holdfast saw before with its issuer (x5t#S256)', async (ctx) => {
      if (!t) return ctx.skip();
      // An NGINX logged the whole certificate earlier: issuer, serial and x5t#S256 are known.
      await ingest([nginxLine(revoked)], 'nginx-json');
      const r = await addTrustAnchor(t.db, { ca: bytes(ca.certPath), crl: bytes(crl1), actor: 'cli' });
      const viaX5t = caddyLine(revoked, { sha256Hex: sha256HexOf(revoked) });
      await ingest([viaX5t], 'caddy');
      expect((await verdicts()).get(viaX5t.id)).toEqual({ verdict: 'cert_revoked_unchecked', reason: 'crl:keyCompromise' });
      await removeTrustAnchor(t.db, { id: r.id, actor: 'cli' });
    });
  });
}
