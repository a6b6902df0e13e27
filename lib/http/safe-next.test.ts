// Every `next` after sign-in stays on Holdfast, however it is spelled; real deep links survive.
import { describe, expect, it } from 'vitest';
import { safeNext } from './safe-next.ts';

const ORIGIN = 'https://holdfast.example';

/** Where a browser on ORIGIN lands after `location.assign(target)` (the WHATWG URL parser). */
const landing = (target: string) => new URL(target, ORIGIN);

describe('safeNext', () => {
  it.each([
    ['a backslash after the slash', '/\\evil.example/phish'],
    ['two backslashes', '\\\\evil.example'],
    ['a tab between the slashes (decoded %09)', '/\t/evil.example/phish'],
    ['a newline between the slashes', '/\n/evil.example'],
    ['a carriage return between the slashes', '/\r/evil.example'],
    ['a protocol-relative URL', '//evil.example/phish'],
    ['three slashes', '///evil.example'],
    ['an absolute URL', 'https://evil.example/phish'],
    ['an absolute URL with a tab in the scheme', 'ht\ttps://evil.example'],
    ['a javascript: URL', 'javascript:alert(document.domain)'],
    ['a mixed-case javascript: URL', 'JaVaScRiPt:alert(1)'],
    ['a data: URL', 'data:text/html,<script>alert(1)</script>'],
    ['a dot segment collapsing into //', '/.//evil.example/phish'],
    ['a double-dot segment collapsing into //', '/a/..//evil.example'],
    ['a leading space', ' //evil.example'],
    ['a NUL', '/\0/evil.example'],
    ['a relative path', 'tokens'],
    ['the empty string', ''],
    ['null', null],
    ['an overlong value', `/${'a'.repeat(3000)}`],
  ])('refuses %s', (_name, next) => {
    expect(safeNext(next)).toBe('/');
  });

  it.each([
    // Encoded variants arrive decoded once by the query parser; left encoded they are same-site paths.
    ['%5C left encoded', '/%5Cevil.example/phish', '/%5Cevil.example/phish'],
    ['%2F%2F left encoded', '/%2F%2Fevil.example', '/%2F%2Fevil.example'],
    ['%09 left encoded', '/%09/evil.example/phish', '/%09/evil.example/phish'],
    ['a deep link with a query', '/tokens?binding=bearer', '/tokens?binding=bearer'],
    ['a deep link with several filters and a fragment', '/findings?rule=unbound_high_risk&status=open#top', '/findings?rule=unbound_high_risk&status=open#top'],
    ['the root', '/', '/'],
    ['a path with a space (encoded by the parser)', '/identities?q=svc a', '/identities?q=svc%20a'],
    ['an identity name with a colon', '/identities/spiffe:%2F%2Fexample.org', '/identities/spiffe:%2F%2Fexample.org'],
  ])('keeps %s', (_name, next, expected) => {
    expect(safeNext(next)).toBe(expected);
  });

  it.each([
    '/\\evil.example', '/%5Cevil.example', '/\t/evil.example', '/%09/evil.example', '//evil.example', 'https://evil.example',
    '/\\\t/evil.example', 'javascript:alert(1)', '/.//evil.example', '/%2e%2e//evil.example', '/..//evil.example', '/\u3000/evil.example',
  ])('whatever it returns for %j lands on Holdfast in a browser', (next) => {
    const to = landing(safeNext(next));
    expect(to.origin).toBe(ORIGIN);
  });
});
