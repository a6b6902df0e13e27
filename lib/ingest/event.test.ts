// newEvent's redacted line is worked out when first read (only requests kept in full store it):
// whoever reads it — the evidence writer, a serializer, a copy — gets the redacted form only.
import { describe, expect, it } from 'vitest';
import { openParseStream } from './parse-stream.ts';
import { newEvent } from './event.ts';
import { REDACTED } from './redact.ts';

const JWT = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJzdmMtYSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ';

describe('newEvent', () => {
  it('gives only the redacted line, however it is read', () => {
    const line = JSON.stringify({ time: '2026-12-04T08:00:00Z', http_authorization: `Bearer ${JWT}`, uri: '/v1/a' });
    const ev = newEvent('nginx-json', new Date(), line, JSON.parse(line));
    expect(ev.redactedRaw).toContain(REDACTED);
    for (const seen of [ev.redactedRaw, JSON.stringify(ev), JSON.stringify(structuredClone(ev)), JSON.stringify({ ...ev })]) {
      expect(seen).not.toContain(JWT);
    }
    const text = newEvent('nginx-combined', new Date(), `10.0.0.1 - - "GET /?access_token=${JWT} HTTP/1.1" 200`);
    expect(text.redactedRaw).not.toContain(JWT);
  });

  it('keeps a redacted line a parser sets itself', () => {
    const ev = newEvent('caddy', new Date(), '{"a":1}', { a: 1 });
    ev.redactedRaw = '{"a":"[redacted]"}';
    expect(ev.redactedRaw).toBe('{"a":"[redacted]"}');
    expect({ ...ev }.redactedRaw).toBe('{"a":"[redacted]"}');
  });

  it('redacts the same line from its bytes, the way the parse stream hands NGINX and Caddy lines over', async () => {
    // Non-ASCII text too: the bytes are decoded as UTF-8, not as one byte per character.
    const line = JSON.stringify({ time: '2026-12-04T08:00:00Z', http_authorization: `Bearer ${JWT}`, uri: '/v1/ä/€', status: 401, ssl_client_verify: 'NONE' });
    const fromText = newEvent('nginx-json', new Date(), line, JSON.parse(line)).redactedRaw;
    const fromBytes = newEvent('nginx-json', new Date(), Buffer.from(line), (l) => JSON.parse(l)).redactedRaw;
    expect(fromBytes).toBe(fromText);
    expect(fromText).toContain('/v1/ä/€');
    expect(fromText).not.toContain(JWT);
    // Through the stream: the line arrives split across chunks, after a CRLF line.
    const body = `${line}\r\n${line}\n`;
    const cut = Buffer.byteLength(line) + 40;
    const bytes = Buffer.from(body);
    const { batches } = await openParseStream([bytes.subarray(0, cut), bytes.subarray(cut)], { format: 'nginx-json' });
    const seen: string[] = [];
    for await (const b of batches) for (const { result } of b) if (result.kind === 'event') seen.push(result.event.redactedRaw);
    expect(seen).toEqual([fromText, fromText]);
  });
});
