// newEvent's redacted line is worked out when first read (only requests kept in full store it):
// whoever reads it — the evidence writer, a serializer, a copy — gets the redacted form only.
import { describe, expect, it } from 'vitest';
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
});
