import { describe, expect, it } from 'vitest';
import { isRefusalStatus } from './refusal-status.ts';

describe('isRefusalStatus', () => {
  it.each([
    [401, true], [403, true], [495, true], [496, true], [497, true],
    [200, false], [400, false], [404, false], [429, false], [502, false], [null, false], [undefined, false],
  ])('%s → %s', (status, refused) => {
    expect(isRefusalStatus(status)).toBe(refused);
  });
});
