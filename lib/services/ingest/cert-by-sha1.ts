// Joins an event that names its client certificate only by SHA-1 (NGINX `$ssl_client_fingerprint`,
// HAProxy `ssl_c_sha1,hex`, Envoy's SHA-1 fingerprint) to the certificate Holdfast already knows
// from a log line that carried the whole certificate, or from an inventory. A SHA-1 cannot become
// x5t#S256, but the certificate it names can give its own: exactly one stored certificate with that
// SHA-1 gives the event its x5t#S256, so the verdict (the token's cnf compared), the evidence row
// and the identity are the certificate's. None, or more than one, leaves the event as it was.
// Certificates first seen earlier in the same chunk (not stored yet) count too.
import type { SqlExecutor } from '../../db/bulk.ts';
import type { NormalizedEvent } from '../../domain/types.ts';

type KnownCert = { id: string; identityId: string | null };

export interface CertBySha1State {
  exec: SqlExecutor;
  /** The batch's certificates by x5t#S256; a match is added so later lookups find it. */
  certsByX5t: Map<string, KnownCert>;
  /** SHA-1 (lower-case hex) → the one certificate with it, or null (none stored, or several). */
  certsBySha1: Map<string, (KnownCert & { x5tS256: string }) | null>;
}

type Sha1Only = NormalizedEvent & { cert: NonNullable<NormalizedEvent['cert']> & { sha1Hex: string } };

function sha1Only(ev: NormalizedEvent): ev is Sha1Only {
  return !!ev.cert && !ev.cert.x5tS256 && !!ev.cert.sha1Hex;
}

/**
 * Gives each event that names its certificate only by SHA-1 the x5t#S256 of the one certificate
 * known with that SHA-1; returns the events joined (their certificate facts are the SHA-1 alone:
 * no certificate record is made from them).
 */
export async function resolveCertsBySha1(st: CertBySha1State, events: Iterable<{ ev: NormalizedEvent }>): Promise<Set<NormalizedEvent>> {
  const joined = new Set<NormalizedEvent>();
  const list = [...events].map((p) => p.ev);
  const todo = list.filter(sha1Only);
  if (!todo.length) return joined;
  // Lines of this chunk that carried the whole certificate (x5t#S256 and SHA-1 both): not stored yet.
  const inChunk = new Map<string, string | null>();
  for (const ev of list) {
    const c = ev.cert;
    if (!c?.x5tS256 || !c.sha1Hex) continue;
    const had = inChunk.get(c.sha1Hex);
    inChunk.set(c.sha1Hex, had === undefined || had === c.x5tS256 ? c.x5tS256 : null);
  }
  const missing = [...new Set(todo.map((ev) => ev.cert.sha1Hex))].filter((s) => !st.certsBySha1.has(s) && !inChunk.has(s));
  if (missing.length) {
    if (st.certsBySha1.size > 50_000) st.certsBySha1.clear();
    const { rows } = await st.exec(
      `SELECT "sha1Hex", count(*)::int AS n, min(id::text) AS id, min("x5tS256") AS "x5tS256", min("identityId"::text) AS "identityId"
         FROM "Certificate" WHERE "sha1Hex" = ANY($1::text[]) GROUP BY "sha1Hex"`,
      [missing],
    );
    for (const s of missing) st.certsBySha1.set(s, null);
    for (const r of rows as Array<{ sha1Hex: string; n: number; id: string; x5tS256: string; identityId: string | null }>) {
      if (r.n !== 1) continue;
      st.certsBySha1.set(r.sha1Hex, { id: r.id, x5tS256: r.x5tS256, identityId: r.identityId });
      st.certsByX5t.set(r.x5tS256, { id: r.id, identityId: r.identityId });
    }
  }
  for (const ev of todo) {
    const x5t = inChunk.has(ev.cert.sha1Hex) ? inChunk.get(ev.cert.sha1Hex) : st.certsBySha1.get(ev.cert.sha1Hex)?.x5tS256;
    if (!x5t) continue;
    ev.cert.x5tS256 = x5t;
    joined.add(ev);
  }
  return joined;
}
