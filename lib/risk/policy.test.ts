import { describe, expect, it } from 'vitest';
import { isHoldfastError } from '../errors.ts';
import { DEFAULT_POLICY, parsePolicy, validatePolicy } from './policy.ts';

describe('policy defaults', () => {
  it('accepts {} and fills every default (agent 1 h, service 24 h, absolute 90 days, 14-day cert window)', () => {
    const r = validatePolicy({});
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.policy.ttl).toEqual({ agentSeconds: 3600, serviceSeconds: 86_400, absoluteSeconds: 7_776_000 });
    expect(r.policy.certificates.expiringWindowDays).toBe(14);
    expect(r.policy.privileged.agentsAlwaysHighRisk).toBe(true);
    expect(r.policy.privileged.scopePatterns).toEqual(expect.arrayContaining(['admin', '*:write', 'write:*', 'repo', 'deploy', 'ci:*']));
    expect(r.policy.failureSpike).toEqual({ baselineDays: 7, k: 3, factor: 3, minCount: 10 });
  });

  it('keeps defaults beside a partial override (only fanOut.maxAudiences changed)', () => {
    const r = validatePolicy({ fanOut: { maxAudiences: 9 } });
    expect(r.ok && r.policy.fanOut.maxAudiences).toBe(9);
    expect(r.ok && r.policy.ttl.agentSeconds).toBe(3600);
  });

  it('DEFAULT_POLICY equals the parse of {}', () => {
    expect(DEFAULT_POLICY).toEqual(parsePolicy({}));
  });

  it('accepts a JSON string', () => {
    const r = validatePolicy('{"ttl":{"agentSeconds":900}}');
    expect(r.ok && r.policy.ttl.agentSeconds).toBe(900);
  });
});

describe('validatePolicy errors (path + message)', () => {
  const cases: { name: string; input: unknown; path: string; message: RegExp }[] = [
    { name: 'rejects a negative agent TTL', input: { ttl: { agentSeconds: -1 } }, path: 'ttl.agentSeconds', message: /> 0/ },
    { name: 'rejects a fractional service TTL', input: { ttl: { serviceSeconds: 1.5 } }, path: 'ttl.serviceSeconds', message: /whole number/ },
    { name: 'rejects a service TTL above the absolute ceiling', input: { ttl: { serviceSeconds: 8_000_000 } }, path: 'ttl.serviceSeconds', message: /absoluteSeconds/ },
    { name: 'rejects an empty scope pattern', input: { privileged: { scopePatterns: ['admin', ''] } }, path: 'privileged.scopePatterns.1', message: /empty/ },
    { name: 'rejects a string where a number is expected', input: { fanOut: { maxAudiences: 'many' } }, path: 'fanOut.maxAudiences', message: /number/ },
    { name: 'rejects an unknown top-level setting (a typo must not be ignored)', input: { tll: {} }, path: '(root)', message: /unknown setting\(s\): tll/ },
    { name: 'rejects an unknown nested setting', input: { ttl: { agentSecs: 5 } }, path: 'ttl', message: /agentSecs/ },
    { name: 'rejects null', input: null, path: '(root)', message: /object/ },
    { name: 'rejects malformed JSON text', input: '{"ttl":', path: '(root)', message: /not valid JSON/ },
  ];
  it.each(cases)('$name', ({ input, path, message }) => {
    const r = validatePolicy(input);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const e = r.errors.find((x) => x.path === path);
    expect(e, JSON.stringify(r.errors)).toBeDefined();
    expect(e?.message).toMatch(message);
  });

  it('parsePolicy throws HoldfastError validation_failed with every error as details', () => {
    try {
      parsePolicy({ ttl: { agentSeconds: 0 }, fanOut: { maxAudiences: 0 } });
      expect.unreachable();
    } catch (e) {
      expect(isHoldfastError(e) && e.code).toBe('validation_failed');
      expect((e as Error).message).toContain('ttl.agentSeconds');
      expect((e as { details: unknown[] }).details).toHaveLength(2);
    }
  });
});
