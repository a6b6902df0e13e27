import { describe, expect, it } from 'vitest';
import { BindingError } from './errors.ts';
import { normalizeHtu, normalizeHtuPath } from './normalize-htu.ts';

describe('htu normalisation (RFC 3986 §6.2.2–6.2.3)', () => {
  it.each([
    ['HTTPS://Server.Example.COM/token', 'https://server.example.com/token'],
    ['https://server.example.com:443/token', 'https://server.example.com/token'],
    ['http://server.example.com:80/token', 'http://server.example.com/token'],
    ['https://server.example.com:8443/token', 'https://server.example.com:8443/token'],
    ['https://server.example.com', 'https://server.example.com/'],
    ['https://server.example.com/a/%7euser', 'https://server.example.com/a/~user'],
    ['https://server.example.com/a/%7Euser', 'https://server.example.com/a/~user'],
    ['https://server.example.com/%41%42c', 'https://server.example.com/ABc'],
    ['https://server.example.com/a%2fb', 'https://server.example.com/a%2Fb'],
    ['https://server.example.com/a/./b/../c', 'https://server.example.com/a/c'],
    ['https://server.example.com/token?x=1#frag', 'https://server.example.com/token'],
  ])('%s → %s', (input, want) => {
    expect(normalizeHtu(input)).toBe(want);
  });

  it('rejects a non-http scheme with input_invalid', () => {
    expect(() => normalizeHtu('ftp://x/y')).toThrowError(BindingError);
    try {
      normalizeHtu('ftp://x/y');
    } catch (e) {
      expect((e as BindingError).code).toBe('input_invalid');
    }
  });

  it('normalises a logged path alone', () => {
    expect(normalizeHtuPath('/a/%7euser?q=1')).toBe('/a/~user');
    expect(normalizeHtuPath('https://h/a/b')).toBe('/a/b');
  });
});
