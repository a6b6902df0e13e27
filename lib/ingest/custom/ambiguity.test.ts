// The ambiguity check of the text matcher (template.ts): a line refused as ambiguous_line exactly
// when the least and the greatest of its splits put a value the event is built from in different
// places. The matcher builds the greatest split slot by slot and stops at the first such value;
// these tests hold it to a brute force that lists every split, so a check that stops too early
// (at the first split that differs anywhere, or at the first slot where the two part) is caught.
import { describe, expect, it } from 'vitest';
import { compilePatterns, matchSegments, type Segment, type Slot } from './template.ts';

const lit = (text: string): Segment => ({ kind: 'lit', text });
/** A value the event is built from (a field), or a label (field null) whose place does not matter. */
function slot(spec: string, decides: boolean, pattern?: string): Slot {
  return { kind: 'slot', spec, field: decides ? 'tls_verify' : null, label: spec, pattern, decode: (x) => x, escapesQuotes: false };
}

/** Every split of the line, as the end of each segment; the matcher's rules for where a value may end and what fits. */
function allSplits(segs: readonly Segment[], line: string): number[][] {
  const out: number[][] = [];
  const fits = (s: Slot, v: string) => !s.pattern || v === '' || v === '-' || new RegExp(`^(?:${s.pattern})$`).test(v);
  const walk = (i: number, pos: number, ends: number[]) => {
    if (i === segs.length) {
      if (pos === line.length) out.push([...ends]);
      return;
    }
    const s = segs[i]!;
    if (s.kind === 'lit') {
      if (line.startsWith(s.text, pos)) walk(i + 1, pos + s.text.length, [...ends, pos + s.text.length]);
      return;
    }
    for (let end = pos; end <= line.length; end++) if (fits(s, line.slice(pos, end))) walk(i + 1, end, [...ends, end]);
  };
  walk(0, 0, []);
  return out;
}

/** The least and the greatest split in order of segment ends (what shortest-first and longest-first search find). */
function extremes(segs: readonly Segment[], line: string): { least: number[]; greatest: number[]; count: number } | null {
  const splits = allSplits(segs, line);
  if (splits.length === 0) return null;
  const order = (a: number[], b: number[]) => {
    const k = a.findIndex((x, i) => x !== b[i]);
    return k < 0 ? 0 : a[k]! - b[k]!;
  };
  return {
    least: splits.reduce((a, b) => (order(a, b) <= 0 ? a : b)),
    greatest: splits.reduce((a, b) => (order(a, b) >= 0 ? a : b)),
    count: splits.length,
  };
}

/** Whether slot i starts or ends elsewhere in the two splits. */
const moves = (i: number, a: number[], b: number[]) => a[i] !== b[i] || (i > 0 && a[i - 1] !== b[i - 1]);

/** The verdict by brute force: the first deciding slot that starts or ends elsewhere in the greatest split than in the least. */
function expected(segs: readonly Segment[], line: string): 'no match' | 'ok' | string {
  const x = extremes(segs, line);
  if (!x) return 'no match';
  const i = segs.findIndex((s, k) => s.kind === 'slot' && s.field && moves(k, x.least, x.greatest));
  return i < 0 ? 'ok' : (segs[i] as Slot).spec;
}

function verdict(segs: readonly Segment[], line: string): 'no match' | 'ok' | string {
  const m = matchSegments(segs, line, compilePatterns(segs));
  if (m.ok) return 'ok';
  if (!m.ambiguous) return 'no match';
  return m.slot?.spec ?? 'too ambiguous';
}

describe('ambiguous_line: the matcher agrees with every split listed', () => {
  it('a split that only moves label text around is no ambiguity (a check stopping at any other split would refuse it)', () => {
    const segs = [slot('$a', false), lit(' '), slot('$b', false), lit(' '), slot('$status', true, '\\d{3}')];
    expect(allSplits(segs, 'x y z 200')).toHaveLength(2);
    expect(verdict(segs, 'x y z 200')).toBe('ok');
  });

  it('the splits part at a label first and at a field later: refused at the field (a check stopping where they part would read it)', () => {
    const segs = [slot('$note', false), lit(' '), slot('$verify', true), lit(' '), slot('$n', true, '\\d+'), lit('!')];
    expect(expected(segs, 'a b c 1 2!')).toBe('$verify');
    expect(verdict(segs, 'a b c 1 2!')).toBe('$verify');
  });

  it('the splits part only at the last field of a long line: refused there', () => {
    const segs = [slot('$verify', true, 'SUCCESS|NONE|FAILED(?::.*)?'), lit(' '), slot('$serial', true, '[0-9A-F]+'), lit(' '), slot('$x', false), lit(' '), slot('$dn', true)];
    const line = `SUCCESS 0A1B ${'w'.repeat(300)} CN=a b`;
    expect(expected(segs, line)).toBe('$dn');
    expect(verdict(segs, line)).toBe('$dn');
  });

  it('random formats and lines: the same verdict as the brute force, slot for slot', () => {
    // A fixed seed: the same cases on every run.
    let seed = 0x2f6b1d3;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const SEPS = [' ', ' ', ' - ', ':'];
    const WORDS = ['a', 'b', '1', '22', '-', 'x y', 'a:b', 'FAILED:c d', '7 8'];
    const PATTERNS = [undefined, undefined, '\\d+', '[a-z]', 'FAILED(?::.*)?|[a-z]+'];
    let ambiguous = 0;
    let ok = 0;
    /** Several splits, all with the fields in the same places. */
    let labelsOnly = 0;
    /** The two part at a label first, at a field later. */
    let partAtLabel = 0;
    for (let c = 0; c < 4000; c++) {
      const slots = 2 + rand(3);
      const segs: Segment[] = [];
      for (let k = 0; k < slots; k++) {
        if (k > 0) segs.push(lit(SEPS[rand(SEPS.length)]!));
        segs.push(slot(`$s${k}`, rand(3) === 0, PATTERNS[rand(PATTERNS.length)]));
      }
      // A last slot with a shape ends where its pattern first matches (candidateEnds): a literal after it keeps the brute force simple.
      if (rand(2) === 0 || (segs[segs.length - 1] as Slot).pattern) segs.push(lit('!'));
      const words = Array.from({ length: 2 + rand(4) }, () => WORDS[rand(WORDS.length)]!);
      const line = words.join(SEPS[rand(2)]!) + (segs[segs.length - 1]!.kind === 'lit' ? '!' : '');
      const want = expected(segs, line);
      const got = verdict(segs, line);
      if (got !== want) throw new Error(`case ${c}: ${JSON.stringify(segs.map((s) => (s.kind === 'lit' ? s.text : `${s.spec}${s.field ? '*' : ''}${s.pattern ? `/${s.pattern}` : ''}`)))} on ${JSON.stringify(line)}: got ${got}, brute force ${want}`);
      if (want === 'ok') ok++;
      else if (want !== 'no match') ambiguous++;
      const x = extremes(segs, line);
      if (want === 'ok' && x!.count > 1) labelsOnly++;
      const parts = segs.findIndex((s, k) => s.kind === 'slot' && moves(k, x?.least ?? [], x?.greatest ?? []));
      if (want !== 'ok' && want !== 'no match' && !(segs[parts] as Slot).field) partAtLabel++;
    }
    // Each kind of case is well represented.
    expect(ambiguous).toBeGreaterThan(100);
    expect(ok).toBeGreaterThan(100);
    expect(labelsOnly).toBeGreaterThan(20);
    expect(partAtLabel).toBeGreaterThan(20);
  });
});
