// A line PostgreSQL cannot store (NUL, lone surrogate) is ONE rejected line with a stable reason,
// in every format, and the lines around it parse as if it were not there.
import { describe, expect, it } from 'vitest';
import * as S from './testing/samples.ts';
import { openParseStream, type ParsedLine } from './parse-stream.ts';
import { FORMAT_NAMES, type FormatName } from './types.ts';
import { neutralizeLine, unsafeLineReason } from './unsafe-lines.ts';

describe('unsafeLineReason', () => {
  it.each([
    ['a raw NUL', 'a\0b', 'nul'],
    ['a run of NUL bytes (crash-damaged log)', '\0'.repeat(4096), 'nul'],
    ['a JSON \\u0000 escape', '{"uri":"/a\\u0000b"}', 'nul'],
    ['an NGINX/Apache \\x00 escape', '"GET /a\\x00 HTTP/1.1"', 'nul'],
    ['a lone high surrogate escape', '{"uri":"/a\\ud800b"}', 'lone_surrogate'],
    ['a lone high surrogate escape at the end', '{"uri":"\\uD83D', 'lone_surrogate'],
    ['a lone low surrogate escape', '{"uri":"\\udc00"}', 'lone_surrogate'],
    ['a high surrogate followed by a non-surrogate escape', '{"uri":"\\ud83d\\u0041"}', 'lone_surrogate'],
    ['\\u0000 after an escaped quote', '{"a":"\\"\\u0000"}', 'nul'],
    ['\\u0000 after three backslashes (an escaped backslash, then the escape)', '{"a":"\\\\\\u0000"}', 'nul'],
  ])('refuses %s', (_name, line, reason) => {
    expect(unsafeLineReason(line)).toBe(reason);
  });

  it.each([
    ['a plain JSON line', S.NGINX_JSON_REAL],
    ['an escaped backslash before u0000 (text, not an escape)', '{"path":"C:\\\\u0000"}'],
    ['an escaped backslash before x00', '"GET /a\\\\x00 HTTP/1.1"'],
    ['a surrogate pair escape (an emoji)', '{"ua":"\\ud83d\\ude00"}'],
    ['other \\u escapes', '{"a":"\\u0041\\u00e9\\u2028"}'],
    ['\\x escapes of other bytes', S.NGINX_COMBINED_PLAIN],
    ['a backslash at the very end', 'abc\\'],
    ['a raw emoji', '{"ua":"😀"}'],
  ])('accepts %s', (_name, line) => {
    expect(unsafeLineReason(line)).toBeNull();
  });

  it('neutralises only the offending escapes, keeping escaped backslashes and pairs', () => {
    expect(neutralizeLine('{"a":"x\\u0000\\\\u0000\\ud83d\\ude00\\udc00","b":"\0"}')).toBe('{"a":"x\\ufffd\\\\u0000\\ud83d\\ude00\\ufffd","b":"\uFFFD"}');
    expect(unsafeLineReason(neutralizeLine('{"a":"\\ud800\\x00\0"}'))).toBeNull();
  });
});

async function parse(format: FormatName, lines: string[]): Promise<ParsedLine[]> {
  const { results } = await openParseStream([Buffer.from(lines.join('\n') + '\n')], { format, now: () => new Date('2026-11-22T09:00:00Z') });
  const out: ParsedLine[] = [];
  for await (const r of results) out.push(r);
  return out;
}

/** Outcome of each line as kind (+ reason for errors), keyed by line number. */
function outcomes(parsed: ParsedLine[]): string[] {
  return parsed.map((p) => `${p.lineNo}:${p.result.kind}${p.result.kind === 'error' ? `:${p.result.reason}` : ''}`);
}

// One good line per single-line format, and a copy of it carrying a NUL inside a value: as a
// JSON escape for JSON formats, as the raw byte for text formats.
const withJsonNul = (line: string) => line.replace(/"([^"]{2,})"/, '"$1\\u0000x"');
const withRawNul = (line: string) => line.replace('WARN', 'WA\0RN').replace('POST', 'PO\0ST');
const SINGLE_LINE: [FormatName, string, string][] = [
  ['nginx-json', S.NGINX_JSON_REAL, withJsonNul(S.NGINX_JSON_REAL)],
  ['nginx-combined', S.NGINX_COMBINED_PLAIN, withRawNul(S.NGINX_COMBINED_PLAIN)],
  ['envoy-json', S.ENVOY_LINE, withJsonNul(S.ENVOY_LINE)],
  ['kong', S.KONG_LINE, withJsonNul(S.KONG_LINE)],
  ['aws-apigw', S.APIGW_LINE, withJsonNul(S.APIGW_LINE)],
  ['keycloak-events', S.KEYCLOAK_QUOTED, withRawNul(S.KEYCLOAK_QUOTED)],
  ['ocsf', S.OCSF_AUTH, withJsonNul(S.OCSF_AUTH)],
  ['introspection', S.INTROSPECTION_LINE, withJsonNul(S.INTROSPECTION_LINE)],
  ['trufflehog', S.TRUFFLEHOG_LINE, withJsonNul(S.TRUFFLEHOG_LINE)],
];

describe('a NUL line in a stream is one rejected line', () => {
  // Formats without a sample here (added later, or read with a gateway's configuration) still go
  // through the same check: a line of NUL bytes alone is one rejected line — unless the format
  // cannot be opened without its configuration at all, which is then the answer.
  const withSamples = new Set<string>([...SINGLE_LINE.map(([f]) => f), 'inventory-csv', 'gitleaks']);
  it.each(FORMAT_NAMES.filter((f) => !withSamples.has(f)))('%s: a line of NUL bytes alone is one rejected line', async (format) => {
    let parsed: ParsedLine[];
    try {
      parsed = await parse(format, ['\0'.repeat(64)]);
    } catch (e) {
      expect(e).toMatchObject({ code: 'validation_failed', message: expect.stringMatching(/config/i) });
      return;
    }
    expect(outcomes(parsed)).toEqual(['1:error:invalid_value']);
  });

  it.each(SINGLE_LINE)('%s: a line of NUL bytes and a line with a NUL in a value, between good lines', async (format, good, bad) => {
    expect(unsafeLineReason(bad)).toBe('nul');
    const clean = await parse(format, [good, good]);
    const dirty = await parse(format, [good, '\0'.repeat(64), good, bad, good]);
    const rejected = dirty.filter((p) => p.result.kind === 'error' && p.result.reason === 'invalid_value');
    expect(rejected.map((p) => p.lineNo)).toEqual([2, 4]);
    for (const r of rejected) expect(r.result).toMatchObject({ message: expect.stringContaining('U+0000') });
    // The good lines come out exactly as without the bad ones.
    const good1 = outcomes(clean)[0]!.replace(/^1:/, '');
    expect(outcomes(dirty)).toEqual([`1:${good1}`, '2:error:invalid_value', `3:${good1}`, '4:error:invalid_value', `5:${good1}`]);
  });

  it.each(SINGLE_LINE.filter(([f]) => f !== 'nginx-combined' && f !== 'keycloak-events'))('%s: a lone surrogate escape is one rejected line', async (format, good) => {
    const bad = good.replace(/"([^"]{2,})"/, '"$1\\ud800"');
    const dirty = await parse(format, [good, bad]);
    expect(dirty[1]).toMatchObject({ lineNo: 2, result: { kind: 'error', reason: 'invalid_value', message: expect.stringContaining('surrogate') } });
  });

  it('inventory-csv: a NUL in a data row rejects that row; the header and other rows are read as before', async () => {
    const [header, a, b] = S.INVENTORY_CSV as [string, string, string];
    const dirty = await parse('inventory-csv', [header, a, b.replace('mtls', 'mt\0ls'), a.replace('jti-1', 'jti-9')]);
    expect(outcomes(dirty)).toEqual(['1:skip', '2:token', '3:error:invalid_value', '4:token']);
  });

  it('inventory-csv: a NUL inside a quoted field spanning lines rejects that record, reported at the NUL line', async () => {
    const [header, a] = S.INVENTORY_CSV as [string, string];
    const dirty = await parse('inventory-csv', [header, 'svc-c,jti-3,,,,,"multi', 'li\0ne scope",,,,', a]);
    expect(outcomes(dirty).filter((o) => !o.endsWith(':skip'))).toEqual(['3:error:invalid_value', '4:token']);
  });

  it('gitleaks (pretty-printed report): a NUL inside one finding rejects that finding, reported at its line; the next finding is kept', async () => {
    const lines = [...S.GITLEAKS_REPORT];
    const at = lines.findIndex((l) => l.includes('"File": "config/app.env"'));
    lines[at] = lines[at]!.replace('config/app.env', 'config/app\\u0000.env');
    const dirty = await parse('gitleaks', lines);
    const clean = await parse('gitleaks', S.GITLEAKS_REPORT);
    expect(clean.filter((p) => p.result.kind === 'exposure')).toHaveLength(2);
    expect(dirty.filter((p) => p.result.kind !== 'skip').map((p) => `${p.lineNo}:${p.result.kind}`)).toEqual([`${at + 1}:error`, `${lines.length - 1}:exposure`]);
  });

  it('gitleaks: a NUL line after the last finding is still reported', async () => {
    const dirty = await parse('gitleaks', [...S.GITLEAKS_REPORT, '\0\0\0']);
    expect(dirty.filter((p) => p.result.kind === 'error').map((p) => p.lineNo)).toEqual([S.GITLEAKS_REPORT.length + 1]);
    expect(dirty.filter((p) => p.result.kind === 'exposure')).toHaveLength(2);
  });
});
