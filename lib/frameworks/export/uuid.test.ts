import { describe, expect, it } from 'vitest';
import { isUuid, uuidV5 } from './uuid.ts';

describe('uuidV5', () => {
  it('matches the RFC 9562 / RFC 4122 v5 vector (DNS namespace, www.example.com)', () => {
    // Python: uuid.uuid5(uuid.NAMESPACE_DNS, 'www.example.com')
    expect(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });

  it('is stable, version 5, RFC variant, and differs by name', () => {
    const a = uuidV5('finding|1');
    expect(a).toBe(uuidV5('finding|1'));
    expect(a).not.toBe(uuidV5('finding|2'));
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(isUuid(a)).toBe(true);
  });
});
