// The ingest limits as the server reads them: the inflated-size limit defaults to 16× the wire
// limit and follows it; a bad HOLDFAST_INGEST_MAX_INFLATED_BYTES stops the start with a reason.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '@/lib/config.ts';
import { DEFAULT_INGEST_MAX_BYTES, ingestMaxInflatedBytes } from './limits.ts';

describe('ingest limits', () => {
  it.each([
    ['nothing set: 16 GiB, 16× the 1 GiB wire limit', {}, 16 * DEFAULT_INGEST_MAX_BYTES],
    ['a lower wire limit lowers the default with it', { HOLDFAST_INGEST_MAX_BYTES: '10485760' }, 16 * 10485760],
    ['set explicitly: that value, whatever the wire limit', { HOLDFAST_INGEST_MAX_BYTES: '10485760', HOLDFAST_INGEST_MAX_INFLATED_BYTES: '33554432' }, 33554432],
  ])('inflated-size limit with %s', (_name, env, want) => {
    expect(ingestMaxInflatedBytes(env)).toBe(want);
  });

  it.each([
    ['not a number', '16GiB', /HOLDFAST_INGEST_MAX_INFLATED_BYTES: must be a number of bytes/],
    ['a fraction', '1048576.5', /HOLDFAST_INGEST_MAX_INFLATED_BYTES: must be a whole number of bytes/],
    ['zero', '0', /HOLDFAST_INGEST_MAX_INFLATED_BYTES: must be at least 1048576/],
    ['negative', '-5', /HOLDFAST_INGEST_MAX_INFLATED_BYTES: must be at least 1048576/],
    ['past a safe integer', '1e300', /HOLDFAST_INGEST_MAX_INFLATED_BYTES: must be a whole number of bytes/],
  ])('the start refuses HOLDFAST_INGEST_MAX_INFLATED_BYTES %s with config_invalid', (_name, value, message) => {
    let err: unknown;
    try {
      loadConfig({ HOLDFAST_DATA_DIR: '/tmp/holdfast-limits-test', HOLDFAST_INGEST_MAX_INFLATED_BYTES: value });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'config_invalid' });
    expect((err as Error).message).toMatch(message);
  });

  it('the start accepts 1 MiB and larger', () => {
    expect(() => loadConfig({ HOLDFAST_DATA_DIR: '/tmp/holdfast-limits-test', HOLDFAST_INGEST_MAX_INFLATED_BYTES: '1048576' })).not.toThrow();
  });
});
