// Compiled log formats against hostile input: credentials in every place an owner's format may
// log one never leave the parser, and garbage or pathological lines give a typed result, quickly.
import { describe, expect, it } from 'vitest';
import * as S from '../testing/samples.ts';
import { createParseContext, type LineParser, type ParseResult } from '../types.ts';
import { compileGatewayLogFormat } from './compile.ts';
import type { GatewayFormat } from './compiled.ts';

const SECRETS = [S.SECRET_JWT, S.SECRET_PROOF, S.SECRET_OPAQUE, S.SECRET_GH, S.SECRET_JWT.split('.')[1]!, S.SECRET_JWT.split('.')[2]!, S.SECRET_PROOF.split('.')[2]!];

const FORMATS: Array<{ name: string; gateway: GatewayFormat; config: string; leaky: string[] }> = [
  {
    name: 'nginx text with $http_authorization, $http_dpop, $cookie_session, $arg_access_token',
    gateway: 'nginx',
    config: `log_format t '$remote_addr [$time_local] "$request" $status "$http_authorization" "$http_dpop" "$cookie_session" "$arg_access_token" "$http_x_api_key" $ssl_client_verify';`,
    leaky: [
      `10.0.0.1 [04/Dec/2026:10:00:00 +0000] "GET /x?access_token=${S.SECRET_OPAQUE} HTTP/1.1" 200 "DPoP ${S.SECRET_JWT}" "${S.SECRET_PROOF}" "${S.SECRET_GH}" "${S.SECRET_OPAQUE}" "${S.SECRET_GH}" SUCCESS`,
      `10.0.0.1 [04/Dec/2026:10:00:00 +0000] "GET /x HTTP/1.1" 200 "${S.SECRET_OPAQUE}" "-" "-" "-" "-" NONE`,
    ],
  },
  {
    name: 'nginx escape=json with the same',
    gateway: 'nginx',
    config: `log_format j escape=json '{"t":"$time_iso8601","r":"$request","a":"$http_authorization","d":"$http_dpop","c":"$http_cookie","k":"$http_x_api_key","v":"$ssl_client_verify"}';`,
    leaky: [JSON.stringify({ t: '2026-12-04T10:00:00+00:00', r: `GET /cb?code=${S.SECRET_OPAQUE} HTTP/1.1`, a: `Bearer ${S.SECRET_JWT}`, d: S.SECRET_PROOF, c: `sid=${S.SECRET_GH}`, k: S.SECRET_GH, v: 'SUCCESS' })],
  },
  {
    name: 'apache with %{Authorization}i, %{DPoP}i, %{session}C, %{X-Api-Key}i',
    gateway: 'apache',
    config: 'LogFormat "%h %t \\"%r\\" %>s \\"%{Authorization}i\\" \\"%{DPoP}i\\" \\"%{session}C\\" \\"%{X-Api-Key}i\\" %{SSL_CLIENT_VERIFY}x" a',
    leaky: [`10.0.0.1 [04/Dec/2026:10:00:00 +0000] "GET /x?token=${S.SECRET_OPAQUE} HTTP/1.1" 200 "Bearer ${S.SECRET_JWT}" "${S.SECRET_PROOF}" "${S.SECRET_GH}" "${S.SECRET_OPAQUE}" SUCCESS`],
  },
  {
    name: 'haproxy with captured Authorization (in %hr and by index), DPoP, and a var holding the token',
    gateway: 'haproxy',
    config: `frontend fe
  capture request header Authorization len 2048
  capture request header DPoP len 2048
  http-request set-var(txn.tok) req.hdr(Authorization),word(2,' ')
  log-format "%Ts %ST %{+Q}r %hr a=%{+Q}[capture.req.hdr(0)] t=%[var(txn.tok)] e=%[ssl_c_err]"`,
    leaky: [`1796379770 200 "GET /x?access_token=${S.SECRET_OPAQUE} HTTP/1.1" {Bearer ${S.SECRET_JWT}|${S.SECRET_PROOF}} a="Bearer ${S.SECRET_JWT}" t=${S.SECRET_OPAQUE} e=0`],
  },
];

function run(p: LineParser, lines: string[]): ParseResult[] {
  const ctx = createParseContext({ now: () => new Date('2026-12-04T12:00:00Z') });
  return lines.map((l) => p.parseLine(l, ctx));
}

describe('no credential leaves a compiled format', () => {
  it.each(FORMATS.map((f) => [f.name, f]))('%s', (_n, f) => {
    const out = run(compileGatewayLogFormat({ gateway: f.gateway, config: f.config }).parser, f.leaky);
    expect(out.every((r) => r.kind === 'event'), JSON.stringify(out).slice(0, 400)).toBe(true);
    // The proof is handed to the pipeline to verify (then dropped): everything else must be clean.
    const text = JSON.stringify(out.map((r) => (r.kind === 'event' ? { ...r.event, dpopProof: null } : r)));
    for (const s of SECRETS) expect(text, `${f.name}: output contains a secret`).not.toContain(s);
  });
});

describe('garbage in, typed results out', () => {
  const garbage = [
    '',
    ' ',
    '\t\t',
    '{',
    '{"t":',
    '[]',
    'null',
    '"',
    '\\',
    '\\x',
    '#2',
    '{}',
    '{"t":{"nested":[1,2,3]}}',
    '"'.repeat(5000),
    `${'a '.repeat(4000)}`,
    `10.0.0.1 [04/Dec/2026:10:00:00 +0000] "${'"'.repeat(300)}`,
    '-'.repeat(10_000),
    '\u0000\u0001\u0002',
    '😀'.repeat(500),
  ];

  it.each(FORMATS.map((f) => [f.name, f]))('%s: every line gives event, skip or a typed error, and fast', (_n, f) => {
    const p = compileGatewayLogFormat({ gateway: f.gateway, config: f.config }).parser;
    const started = performance.now();
    for (const r of run(p, garbage)) {
      expect(['event', 'skip', 'error']).toContain(r.kind);
      if (r.kind === 'error') expect(r.message.length).toBeLessThan(400);
    }
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('a line built to make the matcher backtrack is refused within its step budget', () => {
    // Eight adjacent free-text fields separated by spaces, and a line of spaces that never ends
    // the way the format does: every split is a candidate; the memo of dead ends keeps it bounded.
    const config = `log_format w '$time_iso8601 $a $b $c $d $e $f $g $h "$ssl_client_verify"';`;
    const p = compileGatewayLogFormat({ gateway: 'nginx', config }).parser;
    const line = `2026-12-04T10:00:00+00:00 ${'x '.repeat(3000)}`;
    const started = performance.now();
    expect(p.parseLine(line, createParseContext())).toMatchObject({ kind: 'error' });
    expect(performance.now() - started).toBeLessThan(1500);
  });
});
