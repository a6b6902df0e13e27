import { describe, expect, it } from 'vitest';
import { requestTargetProblem } from './request-target.ts';

describe('requestTargetProblem', () => {
  it.each([
    ['an invalid UTF-8 byte in an API path', '/api/v1/tokens/%FF', /not valid percent-encoded UTF-8/],
    ['an invalid byte in a CRL path', '/crl/%FF.crl', /not valid percent-encoded UTF-8/],
    ['an invalid byte in a page path', '/tokens/%FF', /not valid percent-encoded UTF-8/],
    ['a lone surrogate encoded as UTF-8', '/identities/%ED%A0%80', /not valid percent-encoded UTF-8/],
    ['a truncated escape', '/identities/%E0%A4%A', /not valid percent-encoded UTF-8/],
    ['a NUL in the path', '/api/v1/identities/%00', /NUL/],
    ['a NUL in a query value', '/api/v1/events?requestId=%00', /NUL/],
    ['a NUL in a query name', '/api/v1/events?a%00=1', /NUL/],
  ])('refuses %s', (_name, target, reason) => {
    expect(requestTargetProblem(target)).toMatch(reason);
  });

  it.each([
    ['a plain path', '/api/v1/tokens?binding=bearer'],
    ['valid escapes', '/identities/spiffe%3A%2F%2Fexample.org%2Fsvc-%C3%A9'],
    ['an invalid escape in the query (URLSearchParams reads it as U+FFFD)', '/api/v1/tokens?issuer=%FF'],
    ['an escaped percent sign followed by 00', '/api/v1/events?requestId=%2500'],
    ['no query, no escapes', '/'],
  ])('accepts %s', (_name, target) => {
    expect(requestTargetProblem(target)).toBeNull();
  });
});
