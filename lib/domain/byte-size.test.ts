import { describe, expect, it } from 'vitest';
import { byteSize } from './byte-size.ts';

describe('byteSize', () => {
  it('reads in the largest binary unit that keeps a whole number in front, whole bytes under 1 KiB', () => {
    expect(byteSize(0)).toBe('0 B');
    expect(byteSize(512)).toBe('512 B');
    expect(byteSize(1536)).toBe('1.5 KiB');
    expect(byteSize(14 * 1000 * 1000)).toBe('13.4 MiB');
    expect(byteSize(3 * 1024 ** 3)).toBe('3.0 GiB');
    expect(byteSize(2.5 * 1024 ** 4)).toBe('2.5 TiB');
  });
});
