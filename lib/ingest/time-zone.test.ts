// The zone of zone-less log times: IANA names through Intl (DST followed), fixed offsets, the two
// edges of a DST change (the repeated hour: its earlier instant; the skipped hour: moved forward by
// the gap, as java.time's ZonedDateTime.ofLocal and Temporal's 'compatible' do), and that a time
// carrying its own offset is never shifted.
import { describe, expect, it } from 'vitest';
import { compileGatewayLogFormat } from './custom/compile.ts';
import { combineTime, HAPROXY_DATE, strftimeTime } from './custom/time.ts';
import { parseTimeZone, UTC_ZONE } from './time-zone.ts';
import { createParseContext } from './types.ts';

const at = (zone: string, wall: string) => new Date(parseTimeZone(zone)!.toUtc(Date.parse(`${wall}Z`))).toISOString();

describe('parseTimeZone', () => {
  it('IANA names (any case, canonical spelling kept), fixed offsets and UTC', () => {
    expect(parseTimeZone('Europe/Berlin')?.name).toBe('Europe/Berlin');
    expect(parseTimeZone('europe/berlin')?.name).toBe('Europe/Berlin');
    expect(parseTimeZone('+02:00')?.name).toBe('+02:00');
    expect(parseTimeZone('-0530')?.name).toBe('-05:30');
    expect(parseTimeZone('UTC')).toEqual(UTC_ZONE);
    expect(parseTimeZone('+00:00')?.name).toBe('UTC');
  });

  it.each(['Nope/Zone', 'Europe/Berlinx', '+25:00', '+02:75', '', 'Europe/Berlin; DROP', '../../etc/passwd', 'x'.repeat(80)])('refuses %j', (z) => {
    expect(parseTimeZone(z)).toBeNull();
  });

  it('a fixed offset is the same all year', () => {
    expect(at('+02:00', '2026-01-15T12:00:00')).toBe('2026-01-15T10:00:00.000Z');
    expect(at('+02:00', '2026-07-15T12:00:00')).toBe('2026-07-15T10:00:00.000Z');
    expect(at('-05:30', '2026-07-15T12:00:00')).toBe('2026-07-15T17:30:00.000Z');
  });

  it('Europe/Berlin follows daylight saving time: +01:00 in winter, +02:00 in summer', () => {
    expect(at('Europe/Berlin', '2026-12-06T09:06:11')).toBe('2026-12-06T08:06:11.000Z');
    expect(at('Europe/Berlin', '2026-07-01T12:00:00')).toBe('2026-07-01T10:00:00.000Z');
  });

  it('the hour repeated in autumn (Berlin 2026-10-25, 02:00–03:00 shown twice) is its earlier instant, still on summer time', () => {
    expect(at('Europe/Berlin', '2026-10-25T01:59:59')).toBe('2026-10-24T23:59:59.000Z');
    expect(at('Europe/Berlin', '2026-10-25T02:00:00')).toBe('2026-10-25T00:00:00.000Z');
    expect(at('Europe/Berlin', '2026-10-25T02:30:00')).toBe('2026-10-25T00:30:00.000Z');
    expect(at('Europe/Berlin', '2026-10-25T02:59:59')).toBe('2026-10-25T00:59:59.000Z');
    expect(at('Europe/Berlin', '2026-10-25T03:00:00')).toBe('2026-10-25T02:00:00.000Z');
    // New York's repeated 01:00–02:00 the same way (EDT, -04:00).
    expect(at('America/New_York', '2026-11-01T01:30:00')).toBe('2026-11-01T05:30:00.000Z');
  });

  it('the hour skipped in spring (Berlin 2026-03-29, 02:00–03:00 never shown) is moved forward by the gap', () => {
    expect(at('Europe/Berlin', '2026-03-29T01:59:59')).toBe('2026-03-29T00:59:59.000Z');
    // 02:30 read with the offset before the change (+01:00): 01:30Z, which the clock showed as 03:30.
    expect(at('Europe/Berlin', '2026-03-29T02:30:00')).toBe('2026-03-29T01:30:00.000Z');
    expect(at('Europe/Berlin', '2026-03-29T03:00:00')).toBe('2026-03-29T01:00:00.000Z');
    expect(at('America/New_York', '2026-03-08T02:30:00')).toBe('2026-03-08T07:30:00.000Z');
  });

  it('keeps milliseconds', () => {
    expect(at('Europe/Berlin', '2026-12-06T09:06:11.696')).toBe('2026-12-06T08:06:11.696Z');
  });
});

describe('combineTime with a zone', () => {
  const berlin = parseTimeZone('Europe/Berlin')!;

  it('reads zone-less date parts (HAProxy %tr, strftime without %z) in the zone, UTC without one', () => {
    const tr = HAPROXY_DATE.read('06/Dec/2026:09:06:11.696')!;
    expect(combineTime([tr], berlin)?.toISOString()).toBe('2026-12-06T08:06:11.696Z');
    expect(combineTime([tr])?.toISOString()).toBe('2026-12-06T09:06:11.696Z');
    const strf = strftimeTime('%Y-%m-%dT%H:%M:%S')!.read('2026-07-01T12:00:00')!;
    expect(combineTime([strf], berlin)?.toISOString()).toBe('2026-07-01T10:00:00.000Z');
  });

  it('never shifts a time that carries its offset, nor an epoch', () => {
    const withZ = strftimeTime('%Y-%m-%dT%H:%M:%S%z')!.read('2026-07-01T12:00:00+0000')!;
    expect(combineTime([withZ], berlin)?.toISOString()).toBe('2026-07-01T12:00:00.000Z');
    expect(combineTime([{ epochMs: Date.parse('2026-07-01T12:00:00Z') }], berlin)?.toISOString()).toBe('2026-07-01T12:00:00.000Z');
  });
});

describe('an RFC 3164 syslog header standing in for a format with no time', () => {
  const config = 'frontend fe\n  bind :443 ssl crt x.pem verify optional ca-file ca.crt\n  log-format "%ST %HM %HU verify=%[ssl_c_verify] used=%[ssl_c_used]"';
  const line = '<134>Dec  4 10:24:55 gw haproxy[6574]: 200 GET /a verify=0 used=0';
  const at = (timeZone: string | null) => {
    const { parser } = compileGatewayLogFormat({ gateway: 'haproxy', config });
    const r = parser.parseLine(line, createParseContext({ now: () => new Date('2026-12-06T00:00:00Z'), timeZone: timeZone ? parseTimeZone(timeZone) : null }));
    if (r.kind !== 'event') throw new Error(JSON.stringify(r));
    return r.event.occurredAt.toISOString();
  };

  it('is read in the zone given, else as UTC', () => {
    expect(at('Europe/Berlin')).toBe('2026-12-04T09:24:55.000Z');
    expect(at(null)).toBe('2026-12-04T10:24:55.000Z');
  });
});
