import { describe, expect, it } from 'vitest';
import { dayLabel, dayNumber, ledgerDay, placedByReceipt } from './ledger-day.ts';
import { CERT_MARKER, compactRawLine } from './raw-line.ts';
import { BatchRequestKeys, KEY_KIND, keyCarriesId, requestIdOfKey, requestKeyOf, requestKeyOfId, requestKeyOfLine } from './request-key.ts';
import { pathPrefix, routeHost, routeOf } from './route.ts';

describe('request keys', () => {
  it.each([
    ['NGINX $request_id (32 lower-case hex) is kept in the key itself', '6f1e0c5b0a9d4e2f8c7b6a5d4e3f2a1b', KEY_KIND.hexId, '6f1e0c5b0a9d4e2f8c7b6a5d4e3f2a1b'],
    ['a lower-case UUID is kept in the key itself', '0f8fad5b-d9cb-469f-a165-70867728950e', KEY_KIND.uuidId, '0f8fad5b-d9cb-469f-a165-70867728950e'],
    ['upper-case hex is hashed (its text would not round-trip)', '6F1E0C5B0A9D4E2F8C7B6A5D4E3F2A1B', KEY_KIND.hashedId, null],
    ['any other id is hashed', 'req-00042', KEY_KIND.hashedId, null],
  ])('%s', (_name, id, kind, back) => {
    const key = requestKeyOfId(id);
    expect(key.length).toBe(17);
    expect(key[0]).toBe(kind);
    expect(requestIdOfKey(key)).toBe(back);
    expect(keyCarriesId(key)).toBe(back !== null);
  });

  it('keys a line without an id by what redaction removed from it too (two tokens, two requests)', () => {
    const a = requestKeyOfLine('{"uri":"/x","authorization":"[redacted]"}', 'fpA', null);
    const b = requestKeyOfLine('{"uri":"/x","authorization":"[redacted]"}', 'fpB', null);
    expect(a[0]).toBe(KEY_KIND.line);
    expect(a.equals(b)).toBe(false);
    expect(a.equals(requestKeyOfLine('{"uri":"/x","authorization":"[redacted]"}', 'fpA', null))).toBe(true);
  });

  it('keys the n-th identical line of a batch as (line, n): the same batch again, or an overlapping one, gives the same keys', () => {
    const ev = (raw: string) => ({ requestId: null, redactedRaw: raw, tokenFingerprint: 'fp', dpopProof: 'p' });
    const keysOf = (raws: string[], kept?: number) => {
      const k = new BatchRequestKeys(kept);
      return raws.map((r) => k.keyOf(ev(r)).toString('hex'));
    };
    const first = keysOf(['A', 'X', 'X']);
    expect(first[1]).toBe(requestKeyOf(ev('X')).toString('hex')); // the first occurrence keeps its old key
    expect(first[2]).not.toBe(first[1]);
    expect(keysOf(['A', 'X', 'X'])).toEqual(first);
    // The next file starts with the last two lines of this one: those two are the same keys.
    expect(keysOf(['X', 'X', 'B']).slice(0, 2)).toEqual(first.slice(1));
    // Bounded memory: past the limit a line is counted from 0 again.
    expect(keysOf(['X', 'A', 'B', 'X'], 2)[3]).toBe(first[1]);
    // Lines with a request id are keyed by it, however often it repeats.
    const k = new BatchRequestKeys();
    expect(k.keyOf({ ...ev('X'), requestId: 'r1' }).equals(k.keyOf({ ...ev('X'), requestId: 'r1' }))).toBe(true);
  });

  it('forgets the line least recently seen, not the one first seen, when the batch is past its bound', () => {
    const ev = (raw: string) => ({ requestId: null, redactedRaw: raw, tokenFingerprint: 'fp', dpopProof: 'p' });
    const nth = (raw: string, n: number) => requestKeyOfLine(raw, 'fp', 'p', n).toString('hex');
    const k = new BatchRequestKeys(2);
    // X, A, X again (X is now the most recent), B: past the bound A goes, X stays.
    const keys = ['X', 'A', 'X', 'B', 'X', 'A'].map((r) => k.keyOf(ev(r)).toString('hex'));
    expect(keys).toEqual([nth('X', 0), nth('A', 0), nth('X', 1), nth('B', 0), nth('X', 2), nth('A', 0)]);
    // A came back and pushed out B (X was seen since B); X still counts on.
    expect([k.keyOf(ev('X')).toString('hex'), k.keyOf(ev('B')).toString('hex')]).toEqual([nth('X', 3), nth('B', 0)]);
  });

  it('prefers the request id over the line when there is one', () => {
    const ev = { requestId: 'abc', redactedRaw: 'line', tokenFingerprint: null, dpopProof: null };
    expect(requestKeyOf(ev).equals(requestKeyOfId('abc'))).toBe(true);
    expect(requestKeyOf({ ...ev, requestId: null })[0]).toBe(KEY_KIND.line);
  });
});

describe('routes', () => {
  it.each([
    ['folds numeric ids', 'https://API.example.com/v1/orders/8812?x=1', 'api.example.com /v1/orders'],
    ['keeps the port in the authority', 'https://api.example.com:8443/v1', 'api.example.com:8443 /v1'],
    ['folds UUIDs and long hex', '/users/0f8fad5b-d9cb-469f-a165-70867728950e/keys', ' /users/:id'],
    ['the root', 'https://h.example/', 'h.example /'],
    ['nothing to go on', null, null],
  ])('%s', (_name, url, route) => {
    expect(routeOf({ url })).toBe(route);
  });

  it('uses the logged Host when the URL is a path', () => {
    expect(routeOf({ url: '/v2/pay/77', host: 'Pay.Example' })).toBe('pay.example /v2/pay');
    expect(routeHost('pay.example /v2/pay')).toBe('pay.example');
    expect(routeHost(' /v2/pay')).toBeNull();
  });

  it('skips empty segments and stops at the query or fragment', () => {
    expect(pathPrefix('//a//b/c')).toBe('/a/b');
    expect(pathPrefix('/a?x=/b')).toBe('/a');
    expect(pathPrefix('/a#/b')).toBe('/a');
    expect(pathPrefix('/')).toBe('/');
    expect(routeOf({ url: 'HTTPS://H.example:8443?q' })).toBe('h.example:8443 /');
    expect(routeOf({ url: 'not a url' })).toBeNull();
  });

  it('folds base64url-ish and email segments', () => {
    expect(pathPrefix('/keys/Zx9_aB3kLm0pQr7sTu')).toBe('/keys/:id');
    expect(pathPrefix('/a@b.example/x')).toBe('/:id/x');
  });
});

describe('compact raw lines', () => {
  const pem = `-----BEGIN%20CERTIFICATE-----%0A${'MIIB'.padEnd(1200, 'A')}%0A-----END%20CERTIFICATE-----%0A`;
  it('replaces an NGINX URL-encoded client certificate with a marker', () => {
    const line = `{"uri":"/v1","ssl_client_escaped_cert":"${pem}","status":200}`;
    expect(compactRawLine(line)).toBe(`{"uri":"/v1","ssl_client_escaped_cert":"${CERT_MARKER}","status":200}`);
  });

  it('replaces a JSON-escaped PEM and a bare base64 DER run', () => {
    const json = `{"c":"-----BEGIN CERTIFICATE-----\\n${'MIIC'.padEnd(400, 'B')}\\n-----END CERTIFICATE-----\\n"}`;
    expect(compactRawLine(json)).toBe(`{"c":"${CERT_MARKER}"}`);
    expect(compactRawLine(`der=${'MII'.padEnd(500, 'x')} end`)).toBe(`der=${CERT_MARKER} end`);
  });

  it('caps what is left, saying so', () => {
    const out = compactRawLine('x'.repeat(5000), 1024);
    expect(out.length).toBeLessThanOrEqual(1024);
    expect(out.endsWith('…[truncated]')).toBe(true);
  });
});

describe('ledger days', () => {
  const H = 3_600_000;
  const day0 = Date.UTC(2026, 11, 4);
  it.each([
    ['a request received moments later goes to the day it occurred', day0 + 23 * H, day0 + 24 * H + 60_000, dayNumber(day0)],
    ['a request a day late still goes to its own day', day0 + H, day0 + 47 * H, dayNumber(day0)],
    ['a request three days late goes to the day it was received', day0 - 3 * 24 * H, day0 + H, dayNumber(day0)],
    ['a request dated in the far future goes to the day it was received', day0 + 400 * 24 * H, day0 + H, dayNumber(day0)],
  ])('%s', (_name, occurred, received, day) => {
    expect(ledgerDay(occurred, received)).toBe(day);
  });

  it('labels days for partition names', () => {
    expect(dayLabel(dayNumber(day0))).toBe('20261204');
    expect(placedByReceipt(day0 - 3 * 86_400_000, day0)).toBe(true);
    expect(placedByReceipt(day0 - 86_400_000, day0)).toBe(false);
  });
});
