// Chain verdicts for one request seen at several hops: table tests over the certificate the
// edge saw and the one each later hop received.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { NormalizedEvent, Verdict } from '../domain/types.ts';
import { CERT_PEM, CERT_X5T } from '../ingest/testing/samples.ts';
import { certFactsFromPem } from '../credentials/certificate.ts';
import { newEvent } from '../ingest/event.ts';
import { correlateHops } from './correlate-hops.ts';
import { decideChain } from './decide-chain.ts';
import { backendView, hopVerdict } from './hop-verdict.ts';
import { orderHops } from './order-hops.ts';
import type { ChainReason, HopObservation, HopRole } from './types.ts';
import { explainChain } from './words.ts';

type Cert = NonNullable<NormalizedEvent['cert']>;
const T0 = Date.parse('2026-11-22T08:00:00Z');
const A_FACTS = certFactsFromPem(CERT_PEM)!;
const B_X5T = createHash('sha256').update('certificate B').digest('base64url');

/** svc-a's certificate as NGINX logs it at the edge (thumbprint from the PEM, RFC 2253 DNs, hex serial). */
const A: Cert = { x5tS256: CERT_X5T, sha1Hex: A_FACTS.sha1Hex, subjectDn: 'O=Test,CN=svc-a', issuerDn: 'O=Test,CN=svc-a', serial: A_FACTS.serial, notBefore: null, notAfter: null, verify: 'SUCCESS' };
/** Another certificate (svc-e) the client might forge a header with, or present itself. */
const B: Cert = { x5tS256: B_X5T, sha1Hex: 'ee'.repeat(20), subjectDn: 'O=Test,CN=svc-e', issuerDn: 'O=Test,CN=svc-a', serial: '1002', notBefore: null, notAfter: null, verify: 'SUCCESS' };
const NONE: Cert = { x5tS256: null, sha1Hex: null, subjectDn: null, issuerDn: null, serial: null, notBefore: null, notAfter: null, verify: 'NONE' };
/** Caddy's view: CN and serial only (decimal in its log, hex once parsed). */
const caddyView = (c: Cert): Cert => ({ ...NONE, verify: null, subjectDn: `CN=${/CN=([^,]+)/.exec(c.subjectDn!)![1]}`, serial: c.serial });
const fwd = (c: Cert, header = 'client-cert') => ({ ...c, verify: null, header });
const SHA1_ONLY = (c: Cert): Cert => ({ ...NONE, verify: 'SUCCESS', sha1Hex: c.sha1Hex });
const VERIFY_ONLY: Cert = { ...NONE, verify: 'SUCCESS' };

interface HopSpec {
  source: string;
  role?: HopRole;
  cert?: Cert | null;
  /** undefined: the log has no forwarded-certificate field; null: the field is logged empty. */
  forwarded?: ReturnType<typeof fwd> | null;
  verdict?: Verdict;
  atMs?: number;
}

function hop(s: HopSpec): HopObservation {
  const ev = newEvent('nginx-json', new Date(T0 + (s.atMs ?? 0)), '{}');
  ev.cert = s.cert ?? null;
  if (s.forwarded !== undefined) ev.forwardedCert = s.forwarded;
  ev.correlationId = 'req-1';
  return { source: s.source, role: s.role ?? null, event: ev, verdict: s.verdict ? { verdict: s.verdict, reason: null } : null };
}

const edge = (cert: Cert | null, extra: Partial<HopSpec> = {}) => hop({ source: 'edge', cert, verdict: 'ok', ...extra });
const backend = (forwarded: HopSpec['forwarded'], verdict: Verdict = 'ok', extra: Partial<HopSpec> = {}) =>
  hop({ source: 'backend', forwarded, verdict, atMs: -3, ...extra });

interface Row {
  name: string;
  hops: HopObservation[];
  verdict: Verdict | null;
  reason: ChainReason;
  leak: string | null;
  at?: string | null;
  by?: string | null;
}

const ROWS: Row[] = [
  { name: 'edge forwards the presented certificate intact: the backend verdict stands', hops: [edge(A), backend(fwd(A))], verdict: 'ok', reason: 'forwarded_intact', leak: null, by: 'x5t' },
  { name: 'intact forwarding of the wrong certificate for the token: the backend binding_mismatch stands', hops: [edge(B), backend(fwd(B), 'binding_mismatch')], verdict: 'binding_mismatch', reason: 'forwarded_intact', leak: null, by: 'x5t' },
  { name: 'edge saw the certificate, the backend received none: stripped at the edge', hops: [edge(A), backend(null, 'bound_not_enforced')], verdict: 'binding_context_stripped', reason: 'certificate_stripped', leak: 'edge', at: 'backend' },
  { name: 'edge logged only SUCCESS (no facts) and the backend received none: still stripped', hops: [edge(VERIFY_ONLY), backend(null)], verdict: 'binding_context_stripped', reason: 'certificate_stripped', leak: 'edge', at: 'backend' },
  { name: 'client presented svc-e, the backend received svc-a (a forged Client-Cert passed through)', hops: [edge(B), backend(fwd(A))], verdict: 'spoofed_client_cert', reason: 'certificate_replaced', leak: 'edge', at: 'backend', by: 'x5t' },
  { name: 'client presented no certificate, the backend received one', hops: [edge(NONE), backend(fwd(A))], verdict: 'spoofed_client_cert', reason: 'certificate_injected', leak: 'edge', at: 'backend' },
  { name: 'no certificate anywhere: the backend verdict stands', hops: [edge(NONE), backend(null, 'bearer_unbound')], verdict: 'bearer_unbound', reason: 'no_client_certificate', leak: null },
  { name: 'Caddy edge (CN and serial) and the same certificate forwarded: intact by serial and subject', hops: [edge(caddyView(A)), backend(fwd(A))], verdict: 'ok', reason: 'forwarded_intact', leak: null, by: 'serial_subject' },
  { name: 'Caddy edge, forwarded certificate with another serial: replaced', hops: [edge(caddyView(B)), backend(fwd(A))], verdict: 'spoofed_client_cert', reason: 'certificate_replaced', leak: 'edge', by: 'serial_subject' },
  { name: 'Caddy edge, forwarded certificate with the same serial but another CN: replaced', hops: [edge({ ...caddyView(B), serial: A.serial }), backend(fwd(A))], verdict: 'spoofed_client_cert', reason: 'certificate_replaced', leak: 'edge', by: 'serial_subject' },
  { name: 'serials compare across case, colons and leading zeros', hops: [edge({ ...caddyView(A), serial: `00:${A.serial!.toLowerCase().match(/../g)!.join(':')}` }), backend(fwd(A))], verdict: 'ok', reason: 'forwarded_intact', leak: null, by: 'serial_subject' },
  { name: 'edge logs only the SHA-1 fingerprint: compared by SHA-1', hops: [edge(SHA1_ONLY(A)), backend(fwd(A))], verdict: 'ok', reason: 'forwarded_intact', leak: null, by: 'sha1' },
  { name: 'edge logs only the SHA-1 of another certificate: replaced', hops: [edge(SHA1_ONLY(B)), backend(fwd(A))], verdict: 'spoofed_client_cert', reason: 'certificate_replaced', leak: 'edge', by: 'sha1' },
  { name: 'edge logs only SUCCESS, the backend received a certificate: not comparable, not accused', hops: [edge(VERIFY_ONLY), backend(fwd(A), 'ok')], verdict: 'ok', reason: 'not_comparable', leak: null },
  { name: 'edge logs no TLS facts at all, backend received a certificate: not comparable', hops: [edge(null, { role: 'edge' }), backend(fwd(A), 'ok', { role: 'backend' })], verdict: 'ok', reason: 'not_comparable', leak: null },
  { name: 'edge logs no TLS facts at all, backend received none: not comparable (a missing fact is not a missing certificate)', hops: [edge(null, { role: 'edge' }), backend(null, 'no_proof_for_bound_token', { role: 'backend' })], verdict: 'no_proof_for_bound_token', reason: 'not_comparable', leak: null },
  { name: "backend's log has no forwarded-certificate field: not judged", hops: [edge(A), backend(undefined, 'ok', { role: 'backend' })], verdict: 'ok', reason: 'not_comparable', leak: null },
  {
    name: 'three hops: the proxy received it intact, the backend none: the proxy stripped it',
    hops: [edge(A), hop({ source: 'mid', role: 'proxy', forwarded: fwd(A), verdict: 'ok' }), backend(null, 'ok', { role: 'backend' })],
    verdict: 'binding_context_stripped', reason: 'certificate_stripped', leak: 'mid', at: 'backend',
  },
  {
    name: 'three hops: the proxy received it intact, the backend another one: the proxy let it be replaced',
    hops: [edge(A), hop({ source: 'mid', role: 'proxy', forwarded: fwd(A, 'x-forwarded-client-cert'), verdict: 'ok' }), backend(fwd(B), 'ok', { role: 'backend' })],
    verdict: 'spoofed_client_cert', reason: 'certificate_replaced', leak: 'mid', at: 'backend', by: 'x5t',
  },
  {
    name: 'a spoof outranks a loss earlier on the path',
    hops: [edge(A), hop({ source: 'mid', role: 'proxy', forwarded: null }), backend(fwd(B), 'ok', { role: 'backend' })],
    verdict: 'spoofed_client_cert', reason: 'certificate_replaced', leak: 'mid', at: 'backend',
  },
  // The path is no better than a hop's certificate verdict (BB1 R3: NGINX optional_no_ca forwarded a self-signed certificate, Apache said ok).
  { name: 'edge accepted an untrusted certificate and forwarded it intact: cert_untrusted, not the backend ok', hops: [edge(A, { verdict: 'cert_untrusted' }), backend(fwd(A), 'ok')], verdict: 'cert_untrusted', reason: 'forwarded_intact', leak: null, by: 'x5t' },
  { name: 'edge accepted a certificate the CRL lists: cert_revoked_unchecked, not the backend ok', hops: [edge(A, { verdict: 'cert_revoked_unchecked' }), backend(fwd(A), 'ok')], verdict: 'cert_revoked_unchecked', reason: 'forwarded_intact', leak: null },
  { name: 'edge logs no comparable fact but its certificate verdict still counts', hops: [edge(VERIFY_ONLY, { verdict: 'cert_expired' }), backend(fwd(A), 'ok')], verdict: 'cert_expired', reason: 'not_comparable', leak: null },
  { name: 'an untrusted certificate at the edge does not hide the backend binding_mismatch', hops: [edge(B, { verdict: 'cert_untrusted' }), backend(fwd(B), 'binding_mismatch')], verdict: 'binding_mismatch', reason: 'forwarded_intact', leak: null },
  { name: 'a certificate verdict on a stripping path: the worse of the two', hops: [edge(A, { verdict: 'cert_untrusted' }), backend(null, 'no_proof_for_bound_token')], verdict: 'cert_untrusted', reason: 'certificate_stripped', leak: 'edge', at: 'backend' },
  // The edge's own comparison proves a theft attempt whatever was lost behind it (BB1 R4); the stripping hop is still named.
  { name: 'stolen token (edge saw B, token bound to A) through an edge that strips: binding_mismatch, the edge named', hops: [edge(B, { verdict: 'binding_mismatch' }), backend(null, 'no_proof_for_bound_token')], verdict: 'binding_mismatch', reason: 'certificate_stripped', leak: 'edge', at: 'backend' },
  { name: 'stolen token through a stripping edge and accepted behind it: bound_not_enforced', hops: [edge(B, { verdict: 'bound_not_enforced' }), backend(null, 'bound_not_enforced')], verdict: 'bound_not_enforced', reason: 'certificate_stripped', leak: 'edge', at: 'backend' },
  // A bearer token binds to nothing: losing the certificate lost nothing (BB1 R10).
  { name: 'bearer token through a stripping edge, both hops bearer_unbound: bearer_unbound', hops: [edge(A, { verdict: 'bearer_unbound' }), backend(null, 'bearer_unbound')], verdict: 'bearer_unbound', reason: 'certificate_stripped', leak: 'edge', at: 'backend' },
  { name: 'the edge read the token as bearer but the backend knows it bound: stripped', hops: [edge(A, { verdict: 'bearer_unbound' }), backend(null, 'no_proof_for_bound_token')], verdict: 'binding_context_stripped', reason: 'certificate_stripped', leak: 'edge', at: 'backend' },
  { name: 'lines given backend first are placed by what they show', hops: [backend(null), edge(A)], verdict: 'binding_context_stripped', reason: 'certificate_stripped', leak: 'edge', at: 'backend' },
  { name: 'one hop only: no chain', hops: [edge(A)], verdict: null, reason: 'single_hop', leak: null },
  { name: 'the same source twice: ambiguous, no chain verdict', hops: [edge(A), backend(fwd(A)), edge(A)], verdict: null, reason: 'ambiguous_hops', leak: null },
];

describe('decideChain', () => {
  it.each(ROWS.map((r) => [r.name, r]))('%s', (_n, r) => {
    const d = decideChain(r.hops);
    expect(d.chainVerdict).toBe(r.verdict);
    expect(d.reason).toBe(r.reason);
    expect(d.leakingHop?.source ?? null).toBe(r.leak);
    if (r.at !== undefined) expect(d.observedAt?.source ?? null).toBe(r.at);
    if (r.by !== undefined) expect(d.comparedBy).toBe(r.by);
  });

  it('names the leaking hop in words', () => {
    const d = decideChain([edge(B), backend(fwd(A))]);
    expect(explainChain(d)).toMatch(/supplied by the client.*between edge \(edge\) and backend \(backend\)/);
  });
});

describe('orderHops', () => {
  it('a declared role beats what the line shows', () => {
    // The "edge" here forwards nothing and has TLS facts, but the operator says it is the backend.
    const placed = orderHops([edge(A, { role: 'backend' }), backend(fwd(A), 'ok', { role: 'edge' })]);
    expect(placed.map((h) => [h.source, h.role, h.roleFrom])).toEqual([['backend', 'edge', 'declared'], ['edge', 'backend', 'declared']]);
  });

  it('same role: a line more than the tolerance earlier comes first, closer lines keep their input order', () => {
    const p1 = hop({ source: 'p1', role: 'proxy', atMs: 5000 });
    const p2 = hop({ source: 'p2', role: 'proxy', atMs: 0 });
    const p3 = hop({ source: 'p3', role: 'proxy', atMs: 4500 });
    expect(orderHops([p1, p2, p3]).map((h) => h.source)).toEqual(['p2', 'p1', 'p3']);
    expect(orderHops([p1, p2, p3], { toleranceMs: 100 }).map((h) => h.source)).toEqual(['p2', 'p3', 'p1']);
  });

  it('infers: forwarded certificate → backend; client TLS facts → edge; neither → backend', () => {
    const plain = hop({ source: 'plain' });
    expect(orderHops([plain, edge(NONE)]).map((h) => [h.source, h.role])).toEqual([['edge', 'edge'], ['plain', 'backend']]);
  });
});

describe('correlateHops', () => {
  const at = (source: string, id: string | null, ms: number) => {
    const h = hop({ source, atMs: ms });
    h.event.correlationId = id;
    return h;
  };

  it('joins lines by correlation id and leaves lines without one out', () => {
    const groups = correlateHops([at('edge', 'a', 0), at('edge', 'b', 1), at('backend', 'a', 2), at('backend', null, 3)]);
    expect(groups.map((g) => g.map((h) => `${h.source}:${h.event.correlationId}`))).toEqual([['edge:a', 'backend:a'], ['edge:b']]);
  });

  it('a fixed request id reused by the client: a repeated source starts a new request', () => {
    const groups = correlateHops([at('backend', 'x', 0), at('edge', 'x', 2), at('backend', 'x', 100), at('edge', 'x', 103)]);
    expect(groups.map((g) => g.map((h) => h.event.occurredAt.getTime() - T0))).toEqual([[0, 2], [100, 103]]);
  });

  // BB1 R2: HAProxy `unique-id-header X-Request-ID` + `%ID`, NGINX `proxy_set_header X-Request-ID $request_id` + `$request_id`.
  const own = (source: string, requestId: string, ms: number) => {
    const h = at(source, null, ms);
    h.event.requestId = requestId;
    return h;
  };

  it('an edge that generates the id (logged as its request id) joins the hop that received it as X-Request-ID', () => {
    const groups = correlateHops([own('edge', '7F000001:D34A_0000', 0), at('backend', '7F000001:D34A_0000', 1), own('edge', 'other', 2)]);
    expect(groups.map((g) => g.map((h) => h.source))).toEqual([['edge', 'backend']]);
  });

  it('a line that logs a correlation id other than its request id joins by the correlation id only', () => {
    const edge = at('edge', 'corr-1', 0);
    edge.event.requestId = 'r-1';
    const groups = correlateHops([edge, at('backend', 'r-1', 1)]);
    expect(groups.map((g) => g.map((h) => h.source))).toEqual([['edge'], ['backend']]);
  });

  it('two lines claiming the same request id as their own: ambiguous, neither joins by it', () => {
    const groups = correlateHops([own('edge-1', 'dup', 0), own('edge-2', 'dup', 1), at('backend', 'dup', 2)]);
    expect(groups.map((g) => g.map((h) => h.source))).toEqual([['backend']]);
  });

  it('decides the joined chain: a forged Client-Cert behind an edge that generates the id is spoofed_client_cert', () => {
    const e = own('edge', 'id-1', 0);
    e.event.cert = NONE;
    const b = at('backend', 'id-1', 1);
    b.event.forwardedCert = fwd(A);
    const [group] = correlateHops([e, b]);
    expect(decideChain(group!).chainVerdict).toBe('spoofed_client_cert');
  });

  it('lines farther apart than the window are different requests', () => {
    const groups = correlateHops([at('edge', 'x', 0), at('backend', 'x', 31_000)]);
    expect(groups).toHaveLength(2);
    expect(correlateHops([at('edge', 'x', 0), at('backend', 'x', 31_000)], { windowMs: 60_000 })).toHaveLength(1);
  });
});

describe('hopVerdict: the backend checks the binding against the forwarded certificate', () => {
  const token = { binding: 'mtls' as const, cnfX5tS256: CERT_X5T };
  const line = (forwarded: ReturnType<typeof fwd> | null, status: number) => {
    const h = backend(forwarded);
    h.event.httpStatus = status;
    h.event.authScheme = 'Bearer';
    return h.event;
  };

  it('forwarded certificate is the bound one → ok', async () => {
    expect((await hopVerdict(line(fwd(A), 200), token)).verdict).toBe('ok');
  });

  it('forwarded certificate of another workload, accepted → bound_not_enforced (x5t_mismatch)', async () => {
    const d = await hopVerdict(line(fwd(B), 200), token);
    expect([d.verdict, d.reason]).toEqual(['bound_not_enforced', 'x5t_mismatch']);
  });

  it('forwarded certificate of another workload, refused → binding_mismatch', async () => {
    expect((await hopVerdict(line(fwd(B), 401), token)).verdict).toBe('binding_mismatch');
  });

  it('nothing forwarded and accepted → bound_not_enforced', async () => {
    expect((await hopVerdict(line(null, 200), token)).verdict).toBe('bound_not_enforced');
  });

  it("backendView replaces the hop's own TLS facts (the proxy's certificate) with the forwarded one, without a verify result", () => {
    const ev = line(fwd(A), 200);
    ev.cert = B;
    expect(backendView(ev).cert).toEqual({ ...A, verify: null });
    expect(backendView(ev)).not.toHaveProperty('cert.header');
  });
});
