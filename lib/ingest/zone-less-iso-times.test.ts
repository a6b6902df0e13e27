// Zone-less ISO 8601 times (`2026-12-06T10:00:00.123`, Keycloak's `2026-12-06 10:00:00,123`) in the
// formats that are not read with a gateway configuration: read in the ingest's time zone (the same
// `--time-zone` / `timeZone=` / source default as the custom gateway formats), UTC without one;
// a time with an offset or `Z` is never shifted. Europe/Berlin, both DST edges included.
import { describe, expect, it } from 'vitest';
import { PARSERS } from './registry.ts';
import { parseTimeZone } from './time-zone.ts';
import { createParseContext, type FormatName } from './types.ts';

const BERLIN = parseTimeZone('Europe/Berlin')!;

function when(format: FormatName, line: string, zone = BERLIN): string {
  const r = PARSERS[format].parseLine(line, createParseContext({ timeZone: zone }));
  if (r.kind === 'event') return r.event.occurredAt.toISOString();
  if (r.kind === 'token') return r.token.expiresAt!.toISOString();
  throw new Error(JSON.stringify(r));
}

const keycloakText = (t: string) => `${t} WARN  [org.keycloak.events] (executor-thread-1) type="CLIENT_LOGIN_ERROR", realmId="r", clientId="svc-a", error="invalid_dpop_proof", reason="DPoP proof is missing"`;
const keycloakJson = (t: string) => JSON.stringify({ timestamp: t, loggerName: 'org.keycloak.events', level: 'WARN', message: 'type="CLIENT_LOGIN", realmId="r", clientId="svc-z"' });

// Wall-clock time in Berlin → the instant. The autumn hour shown twice is its earlier pass (still on
// summer time); the spring hour the clock skipped is moved forward by the gap (as time-zone.ts says).
const BERLIN_CASES = [
  ['winter (+01:00)', '2026-12-06 10:00:00,123', '2026-12-06T09:00:00.123Z'],
  ['summer (+02:00)', '2026-07-01 10:00:00,000', '2026-07-01T08:00:00.000Z'],
  ['the last minute before the spring change', '2026-03-29 01:59:59,000', '2026-03-29T00:59:59.000Z'],
  ['the skipped spring hour', '2026-03-29 02:30:00,000', '2026-03-29T01:30:00.000Z'],
  ['just after the spring change', '2026-03-29 03:00:00,000', '2026-03-29T01:00:00.000Z'],
  ['the repeated autumn hour (its earlier pass)', '2026-10-25 02:30:00,000', '2026-10-25T00:30:00.000Z'],
  ['after the autumn change', '2026-10-25 03:00:00,000', '2026-10-25T02:00:00.000Z'],
] as const;

describe('zone-less ISO times are read in the ingest time zone', () => {
  it.each(BERLIN_CASES)('Keycloak text line, %s', (_n, t, want) => {
    expect(when('keycloak-events', keycloakText(t))).toBe(want);
  });

  it.each(BERLIN_CASES)('Keycloak JSON line (Quarkus), %s', (_n, t, want) => {
    expect(when('keycloak-events', keycloakJson(t.replace(' ', 'T').replace(',', '.')))).toBe(want);
  });

  it.each([
    ['nginx-json', JSON.stringify({ timestamp: '2026-12-06T10:00:00.123', uri: '/a', status: 200 })],
    ['envoy-json', JSON.stringify({ start_time: '2026-12-06T10:00:00.123', method: 'GET', path: '/a', response_code: 200 })],
    ['ocsf', JSON.stringify({ class_uid: 6003, time_dt: '2026-12-06T10:00:00.123', http_request: { http_method: 'GET', url: { path: '/a' } }, http_response: { code: 200 } })],
    ['inventory-csv', 'nhi,token_id,expires_at'],
  ] as const)('%s', (format, line) => {
    if (format === 'inventory-csv') {
      const ctx = createParseContext({ timeZone: BERLIN });
      PARSERS[format].parseLine(line, ctx);
      const r = PARSERS[format].parseLine('svc-a,tok-1,2026-12-06T10:00:00.123', ctx);
      if (r.kind !== 'token') throw new Error(JSON.stringify(r));
      expect(r.token.expiresAt?.toISOString()).toBe('2026-12-06T09:00:00.123Z');
      return;
    }
    expect(when(format, line)).toBe('2026-12-06T09:00:00.123Z');
  });

  it.each([
    ['Z', '2026-12-06T10:00:00.123Z', '2026-12-06T10:00:00.123Z'],
    ['+00:00', '2026-12-06T10:00:00.123+00:00', '2026-12-06T10:00:00.123Z'],
    ['+05:30', '2026-12-06T10:00:00.123+05:30', '2026-12-06T04:30:00.123Z'],
  ] as const)('a time with its own offset (%s) is never shifted', (_n, t, want) => {
    expect(when('keycloak-events', keycloakJson(t))).toBe(want);
    expect(when('keycloak-events', keycloakText(t))).toBe(want);
    expect(when('nginx-json', JSON.stringify({ timestamp: t, uri: '/a', status: 200 }))).toBe(want);
  });

  it('no zone given: UTC, as before', () => {
    const r = PARSERS['keycloak-events'].parseLine(keycloakText('2026-12-06 10:00:00,123'), createParseContext());
    expect(r.kind === 'event' && r.event.occurredAt.toISOString()).toBe('2026-12-06T10:00:00.123Z');
  });

  it('the same zone-less text under two zones in one process (the parse cache keeps no zone)', () => {
    expect(when('keycloak-events', keycloakText('2026-12-06 10:00:00,123'), parseTimeZone('+02:00')!)).toBe('2026-12-06T08:00:00.123Z');
    expect(when('keycloak-events', keycloakText('2026-12-06 10:00:00,123'))).toBe('2026-12-06T09:00:00.123Z');
  });
});
