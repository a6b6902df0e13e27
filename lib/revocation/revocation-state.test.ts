import { describe, expect, it } from 'vitest';
import { backoffDelayMs, deriveRevocationState } from './revocation-state.ts';

const L = (state: string, attempts = 1) => ({ state, attempts });

describe('deriveRevocationState', () => {
  it.each([
    ['no leg tried yet', [L('pending', 0), L('pending', 0)], 'pending', false],
    ['first attempt running', [L('in_progress', 1), L('pending', 0)], 'in_progress', false],
    ['all confirmed', [L('confirmed'), L('confirmed')], 'confirmed', true],
    ['one confirmed, one retrying', [L('confirmed'), L('in_progress', 3)], 'partial', false],
    ['one confirmed, one failed for good', [L('confirmed'), L('failed', 8)], 'partial', true],
    ['all failed', [L('failed'), L('failed')], 'failed', true],
    ['one failed, one still retrying', [L('failed'), L('in_progress', 2)], 'in_progress', false],
  ])('%s', (_name, legs, state, done) => {
    expect(deriveRevocationState(legs)).toEqual({ state, done });
  });
});

describe('backoffDelayMs', () => {
  it('doubles per attempt, capped, with half of it jittered', () => {
    const o = { baseMs: 1000, maxMs: 8000 };
    expect(backoffDelayMs(1, { ...o, random: () => 0 })).toBe(500);
    expect(backoffDelayMs(1, { ...o, random: () => 1 })).toBe(1000);
    expect(backoffDelayMs(3, { ...o, random: () => 0 })).toBe(2000);
    expect(backoffDelayMs(10, { ...o, random: () => 1 })).toBe(8000);
  });
});
