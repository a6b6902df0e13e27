// Broken input is rejected line by line with reasons; nothing throws.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as S from './testing/samples.ts';
import { openParseStream, type ParsedLine } from './parse-stream.ts';
import { PARSERS } from './registry.ts';
import { createParseContext, FORMAT_NAMES, isConfiguredFormat, type FormatName } from './types.ts';

async function run(format: FormatName, parts: (string | Buffer)[]): Promise<ParsedLine[]> {
  const src = (async function* () {
    for (const p of parts) yield typeof p === 'string' ? Buffer.from(p) : p;
  })();
  const { results } = await openParseStream(src, { format });
  const out: ParsedLine[] = [];
  for await (const r of results) out.push(r);
  return out;
}

function summary(rs: ParsedLine[]): string[] {
  return rs.map((r) => `${r.lineNo}:${r.result.kind === 'error' ? r.result.reason : r.result.kind}`);
}

describe('corpus of broken input', () => {
  it('nginx-json: truncated line, invalid UTF-8, 10 MB line, wrong format, binary garbage, wrong types', async () => {
    const tenMb = Buffer.alloc(10 * 1024 * 1024, 0x7b);
    const rs = await run('nginx-json', [
      `${S.NGINX_JSON_REAL}\n`,
      `${S.NGINX_JSON_REAL.slice(0, 80)}\n`, // truncated
      Buffer.concat([Buffer.from('{"time":"2026-11-22T08:00:00Z","uri":"/\xff'), Buffer.from([0xc3, 0x28]), Buffer.from('"}\n')]),
      tenMb,
      Buffer.from('\n'),
      `${S.NGINX_COMBINED_PLAIN}\n`, // wrong format
      Buffer.from([0x00, 0x01, 0x02, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a]),
      '{"time":12,"status":{"a":1}}\n',
      '{"time":"2026-11-22T08:00:00Z","status":200,"ssl_client_verify":["SUCCESS"]}\n',
      'null\n',
      `${S.NGINX_JSON_REAL}`,
    ]);
    expect(summary(rs)).toEqual([
      '1:event',
      '2:invalid_json',
      '3:invalid_utf8',
      '4:line_too_long',
      '5:invalid_json',
      '6:invalid_utf8',
      '7:wrong_type',
      '8:wrong_type',
      '9:not_an_object',
      '10:event',
    ]);
    for (const r of rs) if (r.result.kind === 'error') expect(r.result.message.length).toBeGreaterThan(0);
  });

  it('keeps line numbers right after a gzip-compressed 10 MB line', async () => {
    const { gzipSync } = await import('node:zlib');
    const gz = gzipSync(Buffer.concat([Buffer.from(`${S.NGINX_JSON_REAL}\n`), Buffer.alloc(10 * 1024 * 1024, 0x41), Buffer.from(`\n${S.NGINX_JSON_REAL}\n`)]));
    expect(summary(await run('nginx-json', [gz]))).toEqual(['1:event', '2:line_too_long', '3:event']);
  });

  // Formats read from a gateway's configuration need one to open a stream (their garbage corpus is in custom/hostile.test.ts).
  it.each(FORMAT_NAMES.filter((f) => !isConfiguredFormat(f)).map((f) => [f]))('%s survives the garbage corpus with only typed results', async (format) => {
    const corpus = [
      '{"truncated":',
      '\u0000\u0001\u0002\u0003',
      '{"time":[],"status":{},"request":"x","class_uid":"3002","active":1,"Secret":5,"Raw":{}}',
      '[[[[[[[[[[',
      '}}}}]]]]',
      '"just a string"',
      '12345',
      'a,b,"c',
      '-----BEGIN CERTIFICATE-----garbage-----END CERTIFICATE-----',
      '{"ssl_client_escaped_cert":"%E0%A4%A","time":"2026-11-22T08:00:00Z"}',
      '{"clientCertPem":"-----BEGIN CERTIFICATE-----AAAA-----END CERTIFICATE-----","requestTimeEpoch":1}',
    ];
    const rs = await run(format, [corpus.join('\n')]);
    for (const r of rs) expect(['event', 'token', 'exposure', 'skip', 'error']).toContain(r.result.kind);
  });

  it('throws a validation_failed HoldfastError when the format cannot be detected', async () => {
    await expect(openParseStream([Buffer.from('hello\nworld\n')])).rejects.toMatchObject({ code: 'validation_failed' });
  });

  it('throws validation_failed for an unknown format name', async () => {
    await expect(openParseStream([Buffer.from('x\n')], { format: 'syslog' as never })).rejects.toMatchObject({ code: 'validation_failed' });
  });

  it('detects the format when none is given and parses every line including the read-ahead', async () => {
    const { format, results } = await openParseStream([Buffer.from(`${S.KEYCLOAK_SERVER_LINE}\n${S.KEYCLOAK_QUOTED}\n${S.KEYCLOAK_UNQUOTED}\n`)]);
    expect(format).toBe('keycloak-events');
    const rs: ParsedLine[] = [];
    for await (const r of results) rs.push(r);
    expect(summary(rs)).toEqual(['1:skip', '2:event', '3:event']);
  });

  it('gives every record of a one-line JSON array its own result on that line', async () => {
    const compact = JSON.stringify(JSON.parse(S.GITLEAKS_REPORT.join('\n')));
    expect(summary(await run('gitleaks', [compact]))).toEqual(['1:exposure', '1:exposure']);
  });
});

describe('property: no parser throws', () => {
  const arbLine = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc.json({ maxDepth: 3 }),
    fc.string({ unit: 'grapheme-ascii', maxLength: 200 }),
    fc.constantFrom(S.NGINX_JSON_REAL, S.NGINX_COMBINED_PLAIN, S.KEYCLOAK_UNQUOTED, S.OCSF_AUTH, S.INTROSPECTION_LINE, S.TRUFFLEHOG_LINE).chain((l) =>
      fc.nat({ max: l.length }).map((n) => l.slice(0, n)),
    ),
  );

  it.each(FORMAT_NAMES.map((f) => [f]))('%s on arbitrary lines', (format) => {
    fc.assert(
      fc.property(fc.array(arbLine, { maxLength: 8 }), (lines) => {
        const p = PARSERS[format];
        const ctx = createParseContext();
        for (const l of lines) {
          const r = p.parseLine(l, ctx);
          if (!['event', 'token', 'exposure', 'skip', 'error'].includes(r.kind)) return false;
          ctx.pending.length = 0;
        }
        p.end?.(ctx);
        return true;
      }),
      { numRuns: 300 },
    );
  });

  it('JSON objects with fields of the wrong type give typed errors, never throws', () => {
    const arbObj = fc.dictionary(
      fc.constantFrom('time', 'status', 'uri', 'ssl_client_verify', 'start_time', 'response_code', 'request', 'response', 'started_at', 'class_uid', 'certificate', 'active', 'cnf', 'exp', 'jti', 'client_id', 'Secret', 'RuleID', 'Raw', 'SourceMetadata', 'requestTimeEpoch', 'clientCertPem'),
      fc.anything({ maxDepth: 2 }),
    );
    fc.assert(
      fc.property(arbObj, fc.constantFrom(...FORMAT_NAMES), (o, format) => {
        let line: string;
        try {
          line = JSON.stringify(o);
        } catch {
          return true;
        }
        const r = PARSERS[format].parseLine(line, createParseContext());
        return ['event', 'token', 'exposure', 'skip', 'error'].includes(r.kind);
      }),
      { numRuns: 1000 },
    );
  });
});
