import { describe, expect, it } from 'vitest';
import { HoldfastError } from '../errors.ts';
import { errorToProblem } from './problem.ts';
import { createRateLimiter } from './rate-limit.ts';

describe('createRateLimiter', () => {
  it('allows the budget, refuses the next hit with rate_limited, and opens again after the window', () => {
    const rl = createRateLimiter({ limit: 3, windowMs: 60_000 });
    const t = 1_000_000;
    for (let i = 0; i < 3; i++) rl.hit('ip:1', t + i);
    let err: unknown;
    try {
      rl.hit('ip:1', t + 10_000);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HoldfastError);
    expect((err as HoldfastError).code).toBe('rate_limited');
    expect((err as HoldfastError).details).toEqual({ retryAfterSeconds: 50 });
    rl.hit('ip:2', t + 10_000); // other keys unaffected
    rl.hit('ip:1', t + 60_000);
  });

  it('maps to 429 with a Retry-After header', () => {
    const res = errorToProblem(new HoldfastError('rate_limited', 'slow down', { retryAfterSeconds: 7 }));
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
  });

  it('keeps memory bounded', () => {
    const rl = createRateLimiter({ limit: 1, windowMs: 60_000, maxKeys: 10 });
    for (let i = 0; i < 1000; i++) rl.hit(`k${i}`, 5);
  });
});

describe('clientIp', () => {
  it('ignores spoofable forwarding headers unless a proxy is trusted', async () => {
    const { clientIp } = await import('./route.ts');
    const h = new Headers({ 'x-real-ip': '203.0.113.66', 'x-holdfast-remote-addr': '198.51.100.7' });
    expect(clientIp(h, false)).toBe('198.51.100.7');
    expect(clientIp(h, true)).toBe('203.0.113.66');
  });
});
