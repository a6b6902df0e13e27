import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { errorToProblem } from './problem.ts';

describe('errorToProblem: a body its schema refuses', () => {
  it('is a 422 naming every issue, the first one also as a one-line detail', async () => {
    const r = z.strictObject({ policy: z.strictObject({ require: z.enum(['mtls']), ttl: z.number() }) }).safeParse({ policy: { require: 'tls', ttl: 'x' } });
    const res = errorToProblem(r.error);
    expect(res.status).toBe(422);
    const p = (await res.json()) as { code: string; detail: string; errors: { path: string; message: string }[] };
    expect(p.code).toBe('validation_failed');
    expect(p.errors.map((e) => e.path)).toEqual(['policy.require', 'policy.ttl']);
    expect(p.detail).toBe(`policy.require: ${p.errors[0]!.message}`);
    expect(p.detail).not.toContain('\n');
  });
});

describe('errorToProblem: database errors', () => {
  it('a deadlock victim or serialization failure is a retriable 503 (nothing committed), never a 500', async () => {
    const logs: string[] = [];
    for (const code of ['40P01', '40001']) {
      const pgError = Object.assign(new Error('deadlock detected'), { code });
      for (const e of [pgError, new Error('wrapped', { cause: pgError })]) {
        const res = errorToProblem(e, (m) => logs.push(m));
        expect(res.status).toBe(503);
        expect(res.headers.get('retry-after')).toBe('1');
        expect(await res.json()).toMatchObject({ code: 'conflict_retry' });
      }
    }
    expect(logs.every((l) => !l.includes('    at '))).toBe(true); // a line, not a stack
  });

  it('anything unknown stays a logged 500 without internals in the body', async () => {
    const logs: string[] = [];
    const res = errorToProblem(Object.assign(new Error('boom at /srv/x.ts'), { code: '23502' }), (m) => logs.push(m));
    expect(res.status).toBe(500);
    expect(JSON.stringify(await res.json())).not.toContain('/srv/x.ts');
    expect(logs).toHaveLength(1);
  });
});

describe('errorLine', () => {
  it('gives the message, else the cause, code or name: never an empty log line or a stack', async () => {
    const { errorLine } = await import('../errors.ts');
    expect(errorLine(new Error('first line\n    at x.ts:1'))).toBe('first line');
    expect(errorLine(Object.assign(new Error(''), { code: 'ECONNRESET' }))).toBe('ECONNRESET');
    expect(errorLine(new Error('', { cause: new Error('Connection terminated unexpectedly') }))).toBe('Connection terminated unexpectedly');
    expect(errorLine(Object.assign(new Error(''), { name: 'DriverAdapterError' }))).toBe('DriverAdapterError');
    expect(errorLine('plain')).toBe('plain');
  });
});
