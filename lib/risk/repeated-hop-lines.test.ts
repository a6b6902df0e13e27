import { describe, expect, it } from 'vitest';
import { countRepeatedHopLines, type HopLine } from './repeated-hop-lines.ts';

const line = (hopId: string | null, source: string, at: number): HopLine => ({ hopId, source, at });

describe('countRepeatedHopLines', () => {
  it.each<[string, HopLine[], number]>([
    ['one request seen at the edge and the backend is one request', [line('r1', 'edge', 0), line('r1', 'backend', 5)], 1],
    ['seven requests at two hops: seven repeats of fourteen lines', Array.from({ length: 7 }, (_, i) => [line(`r${i}`, 'edge', i * 1000), line(`r${i}`, 'backend', i * 1000 + 3)]).flat(), 7],
    ['the same source twice is two requests (a retry, a fixed X-Request-ID)', [line('fixed', 'edge', 0), line('fixed', 'edge', 100)], 0],
    ['lines farther apart than the window are two requests', [line('r1', 'edge', 0), line('r1', 'backend', 31_000)], 0],
    ['lines without an id are never joined', [line(null, 'edge', 0), line(null, 'backend', 1)], 0],
    ['three hops of one request: two repeats', [line('r1', 'edge', 0), line('r1', 'proxy', 1), line('r1', 'backend', 2)], 2],
  ])('%s', (_name, lines, want) => {
    expect(countRepeatedHopLines(lines)).toBe(want);
  });
});
