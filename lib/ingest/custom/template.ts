// A compiled log format: literal text and variable slots, as the gateway writes them. A text line
// is matched against it with a small backtracking matcher (the end of a value is where the next
// literal text resumes, tried in order, so a quote or space inside a value is no obstacle) with a
// memo of dead ends, so a line that does not match costs at most slots × line length steps. A
// format shaped like a JSON object is also read as JSON: member by member, whatever the order.
import type { FieldName, SlotValue } from './fields.ts';
import type { TimeParts, TimeReader } from './time.ts';
import { redact } from '../redact.ts';

export interface Slot {
  kind: 'slot';
  /** The variable as the owner wrote it (`$ssl_client_verify`, `%{SSL_CLIENT_VERIFY}x`, `%[ssl_c_err]`). */
  spec: string;
  field: FieldName | null;
  /** Label name when field is null (and for errors). */
  label: string;
  /** For forwarded_cert: the header name. */
  header?: string;
  time?: TimeReader;
  /** Regex source the raw value must match (numbers, times): also fixes its end when no literal follows. */
  pattern?: string;
  /** The gateway's escaping undone. */
  decode: (raw: string) => string;
  /** A `"` inside the value is always escaped by the gateway (NGINX, Apache), so an unescaped one ends it. */
  escapesQuotes: boolean;
  /** HAProxy `%{+Q}`: the value may come wrapped in double quotes (strings are, numbers are not). */
  maybeQuoted?: boolean;
  /** HAProxy `%{+Q}` on a variable that is always a string (`%r`, `%ID`): the quotes are certain. */
  mustQuote?: boolean;
  /** One slot carrying several values (HAProxy `%hr`): split the decoded value into them. */
  expand?: (raw: string) => SlotValue[] | null;
  /** Read from a credential header by an expression Holdfast does not interpret: a label never kept. */
  secret?: boolean;
  /** The raw value with its credential parts replaced (a multi-value slot knows which parts are credentials). */
  redactRaw?: (raw: string) => string;
  /** The fields (null: a label) an expanding slot fills, for the compile-time checks. */
  expandsTo?: Array<FieldName | null>;
}

/** Literal text. `sep`: it starts with an HAProxy separator (a space in the format; several in a row are one). */
export type Segment = { kind: 'lit'; text: string; sep?: boolean } | Slot;

export interface Template {
  segments: Segment[];
  /** When the format text is a JSON object: member path → the template of that member's value. */
  json: JsonShape | null;
}

export type JsonShape = Array<{ path: string[]; template: Segment[] }>;

export type MatchResult =
  | { ok: true; values: SlotValue[]; time: TimeParts[]; spans: Array<{ slot: Slot; start: number; end: number }> }
  | { ok: false; slot: Slot | null; message: string; ambiguous?: boolean };

/** Adjacent literals merged, empty ones dropped: the matcher relies on slot/literal alternation. */
export function normalizeSegments(segs: Segment[]): Segment[] {
  const out: Segment[] = [];
  for (const s of segs) {
    const prev = out[out.length - 1];
    if (s.kind === 'lit') {
      if (!s.text) continue;
      if (prev?.kind === 'lit') out[out.length - 1] = { kind: 'lit', text: prev.text + s.text, sep: prev.sep };
      else out.push(s);
    } else out.push(s);
  }
  return out;
}

// Real lines take a few steps per slot; a line built to make the matcher try every split is
// refused after this many (a per-line error, like any line that does not match).
const MAX_STEPS = 100_000;

function backslashesBefore(line: string, at: number): number {
  let n = 0;
  while (at - 1 - n >= 0 && line.charCodeAt(at - 1 - n) === 0x5c) n++;
  return n;
}

/** Ends at which a slot's value may stop, in the order they are tried. */
function* candidateEnds(segs: readonly Segment[], i: number, line: string, pos: number, sticky: Map<Slot, RegExp>): Generator<number> {
  const slot = segs[i] as Slot;
  const next = segs[i + 1];
  if (slot.pattern && next?.kind !== 'lit') {
    const re = sticky.get(slot)!;
    re.lastIndex = pos;
    const m = re.exec(line);
    if (m) yield pos + m[0].length;
    return;
  }
  if (!next) {
    yield line.length;
    return;
  }
  if (next.kind === 'lit') {
    let p = line.indexOf(next.text, pos);
    while (p !== -1) {
      // An escaped quote (`\"`) is part of the value, not its end.
      if (!(slot.escapesQuotes && next.text[0] === '"' && backslashesBefore(line, p) % 2 === 1)) yield p;
      p = line.indexOf(next.text, p + 1);
    }
    // A trailing HAProxy separator may have been trimmed off the line.
    if (next.sep && next.text === ' ' && i + 2 === segs.length && !line.endsWith(' ')) yield line.length;
    return;
  }
  // Two slots with nothing between them and no shape for the first: any split, shortest first.
  for (let p = pos; p <= line.length; p++) yield p;
}

function unquote(slot: Slot, raw: string): string {
  if (slot.maybeQuoted && raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"')) return raw.slice(1, -1);
  return raw;
}

/** Whether line[pos, end) can be the slot's value. Slices only when a pattern must see the value: a free-text slot is tried at many ends. */
function valueFits(slot: Slot, line: string, pos: number, end: number, anchored: Map<Slot, RegExp>): boolean {
  if (slot.maybeQuoted || slot.mustQuote) {
    const opens = end > pos && line.charCodeAt(pos) === 0x22;
    const quoted = end - pos >= 2 && opens && line.charCodeAt(end - 1) === 0x22;
    if (opens !== quoted) return false;
    if (slot.mustQuote && !quoted && !(end - pos === 1 && line.charCodeAt(pos) === 0x2d)) return false;
  }
  const re = anchored.get(slot);
  if (!re) return true;
  const raw = line.slice(pos, end);
  return re.test(unquote(slot, raw)) || raw === '-' || raw === '';
}

/** Regexes of a template, built once per template, not per line. */
export interface CompiledPatterns {
  sticky: Map<Slot, RegExp>;
  anchored: Map<Slot, RegExp>;
  /** Some slot's end is not fixed by its shape or by quotes the gateway escapes inside it: a line may split more than one way. */
  mayBeAmbiguous: boolean;
}

/** Whether a slot's value can only end in one place: a pattern with no literal after it, or quotes the gateway escapes inside the value. */
function endIsFixed(segs: readonly Segment[], i: number): boolean {
  const s = segs[i] as Slot;
  const prev = segs[i - 1];
  const next = segs[i + 1];
  if (s.pattern && next?.kind !== 'lit') return true;
  return s.escapesQuotes && prev?.kind === 'lit' && prev.text.endsWith('"') && next?.kind === 'lit' && next.text.startsWith('"');
}

export function compilePatterns(segs: readonly Segment[]): CompiledPatterns {
  const sticky = new Map<Slot, RegExp>();
  const anchored = new Map<Slot, RegExp>();
  for (const s of segs) {
    if (s.kind !== 'slot' || !s.pattern) continue;
    sticky.set(s, new RegExp(s.maybeQuoted ? `"(?:${s.pattern})"|(?:${s.pattern})|-` : `(?:${s.pattern})|-`, 'y'));
    anchored.set(s, new RegExp(`^(?:${s.pattern})$`));
  }
  const mayBeAmbiguous = segs.some((s, i) => s.kind === 'slot' && !endIsFixed(segs, i));
  return { sticky, anchored, mayBeAmbiguous };
}

function describe(slot: Slot | null, expected: string | null, line: string, at: number): string {
  // The message is shown and kept in the batch record: what follows the failure point is redacted
  // whole before it is cut, so a credential there (an Authorization capture) never shows.
  const got = JSON.stringify(redact(line.slice(at)).slice(0, 24));
  if (expected !== null) return `${slot ? `after ${slot.spec}` : 'at the start'}: expected ${JSON.stringify(expected.slice(0, 24))}, got ${got}`;
  return `${slot?.spec ?? 'value'} does not fit: got ${got}`;
}

/** One line's matching state: the dead ends found so far are shared by every search of the line. */
interface Matcher {
  segs: readonly Segment[];
  line: string;
  pats: CompiledPatterns;
  /** (segment, position) pairs from which the rest of the line cannot match. */
  dead: Set<number>;
  steps: number;
  /**
   * Where the line first stopped matching, before any backtracking: with values that hold no
   * separator (nearly all) that is the field that is wrong; later attempts only shift values around.
   */
  worst: { at: number; i: number; expected: string | null } | null;
}

function fail(m: Matcher, i: number, at: number, expected: string | null): void {
  m.worst ??= { at, i, expected };
}

/**
 * Whether line[pos..] splits into the values of segments i..: the first split in order of
 * candidate ends, shortest first, written to `ends`. A memo of dead ends bounds the work to
 * slots × line length.
 */
function search(m: Matcher, i: number, pos: number, ends: number[]): boolean {
  const { segs, line, pats, dead } = m;
  const n = segs.length;
  if (i === n) {
    if (pos === line.length) return true;
    fail(m, i, pos, '(end of line)');
    return false;
  }
  const key = i * (line.length + 1) + pos;
  if (dead.has(key)) return false;
  if (++m.steps > MAX_STEPS) return false;
  const s = segs[i]!;
  if (s.kind === 'lit') {
    ends[i] = pos + s.text.length;
    if (line.startsWith(s.text, pos) && search(m, i + 1, pos + s.text.length, ends)) return true;
    // HAProxy ends a line on a separator when its last variable printed nothing (%hsl without
    // response captures); a log shipper may have trimmed it off.
    const trimmed = s.sep && s.text === ' ' && i === n - 1 && pos === line.length;
    if (trimmed) return true;
    if (!line.startsWith(s.text, pos)) fail(m, i, pos, s.text);
  } else {
    let tried = false;
    let any = false;
    for (const end of candidateEnds(segs, i, line, pos, pats.sticky)) {
      any = true;
      // Every candidate costs a step, even one that ends in a known dead end.
      if (++m.steps > MAX_STEPS) return false;
      if (!valueFits(s, line, pos, end, pats.anchored)) continue;
      tried = true;
      ends[i] = end;
      if (search(m, i + 1, end, ends)) return true;
      if (m.steps > MAX_STEPS) return false;
    }
    const next = segs[i + 1];
    // The text that should follow the value is nowhere on the rest of the line.
    if (!any && next?.kind === 'lit') fail(m, i + 1, pos, next.text);
    else if (!tried) fail(m, i, pos, null);
  }
  dead.add(key);
  return false;
}

/** A slot whose value becomes part of the event (not a label): where it ends must be certain. */
function decides(s: Slot): boolean {
  return s.field !== null || !!s.time || !!s.expand;
}

/**
 * The first slot the event is built from whose value starts or ends elsewhere in the greatest
 * split (longest values first, slot by slot) than in `first`, the least; null when there is none,
 * 'overflow' past the step bound. The greatest split is built one slot at a time (the longest end
 * from which the rest of the line still matches) and compared as it goes, so a line that splits
 * two ways is refused at the first slot that tells them apart, without matching the rest of it.
 * Where it has not yet left `first`, only ends beyond first's can be longer; an end from which
 * the rest matches is proven by any one split of the rest, found with the dead ends of the first
 * search.
 */
function firstDifference(m: Matcher, first: number[]): Slot | null | 'overflow' {
  const { segs, line, pats } = m;
  const n = segs.length;
  const greatest = new Array<number>(n).fill(-1);
  const scratch = new Array<number>(n).fill(-1);
  let left = false;
  let pos = 0;
  for (let i = 0; i < n; i++) {
    const s = segs[i]!;
    if (s.kind === 'lit') {
      greatest[i] = pos + s.text.length;
    } else {
      greatest[i] = left ? -1 : first[i]!;
      const ends = [...candidateEnds(segs, i, line, pos, pats.sticky)];
      for (let k = ends.length - 1; k >= 0; k--) {
        const end = ends[k]!;
        if (!left && end <= first[i]!) break;
        if (++m.steps > MAX_STEPS) return 'overflow';
        if (!valueFits(s, line, pos, end, pats.anchored)) continue;
        const rest = search(m, i + 1, end, scratch);
        if (m.steps > MAX_STEPS) return 'overflow';
        if (rest) {
          greatest[i] = end;
          break;
        }
      }
      // A slot's value starts where the segment before it ends.
      const differs = greatest[i] !== first[i] || (i > 0 && greatest[i - 1] !== first[i - 1]);
      if (decides(s) && differs) return s;
      left ||= differs;
    }
    pos = greatest[i]!;
  }
  return null;
}

/**
 * Values of the slots of one line; or the slot at which the line stopped matching. A line that
 * splits more than one way where a value the event is built from ends (an unquoted value with
 * spaces next to another) is refused as `ambiguous`, not read by a guess: the first split in
 * shortest-first order and the greatest (longest-first) are the least and the greatest of all
 * splits, so they differ exactly when there is more than one.
 */
export function matchSegments(segs: readonly Segment[], line: string, pats: CompiledPatterns): MatchResult {
  const m: Matcher = { segs, line, pats, dead: new Set(), steps: 0, worst: null };
  const first = new Array<number>(segs.length).fill(-1);
  if (!search(m, 0, 0, first)) {
    if (m.steps > MAX_STEPS) return { ok: false, slot: null, message: 'too ambiguous to match against the format' };
    const worst = m.worst ?? { at: -1, i: 0, expected: null };
    const at = segs[worst.i];
    let slot: Slot | null = at?.kind === 'slot' ? at : null;
    for (let k = worst.i - 1; !slot && k >= 0 && worst.expected !== null; k--) {
      const s = segs[k]!;
      if (s.kind === 'slot') slot = s;
    }
    return { ok: false, slot, message: describe(slot, worst.expected, line, Math.max(worst.at, 0)) };
  }
  if (pats.mayBeAmbiguous) {
    // The second pass has a step budget of its own, as the first.
    m.steps = 0;
    const s = firstDifference(m, first);
    if (s === 'overflow') return { ok: false, ambiguous: true, slot: null, message: 'too ambiguous to match against the format' };
    if (s) {
      return { ok: false, ambiguous: true, slot: s, message: `${s.spec} can end at more than one place on this line (an unquoted value with spaces next to another): which value is which is not certain` };
    }
  }
  return collect(segs, line, first);
}

function collect(segs: readonly Segment[], line: string, ends: number[]): MatchResult {
  const values: SlotValue[] = [];
  const time: TimeParts[] = [];
  const spans: Array<{ slot: Slot; start: number; end: number }> = [];
  let pos = 0;
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i]!;
    if (s.kind === 'lit') {
      pos = ends[i]!;
      continue;
    }
    const raw = line.slice(pos, ends[i]);
    spans.push({ slot: s, start: pos, end: ends[i]! });
    pos = ends[i]!;
    const r = slotValues(s, unquote(s, raw), values, time);
    if (r) return { ok: false, slot: s, message: r };
  }
  return { ok: true, values, time, spans };
}

/** Adds what one slot's raw value gives; a message when it does not read (a time that is no time). */
export function slotValues(s: Slot, raw: string, values: SlotValue[], time: TimeParts[]): string | null {
  if (raw === '-' || raw === '') {
    values.push({ field: s.field, label: s.label, header: s.header, secret: s.secret, value: '' });
    return null;
  }
  if (s.time) {
    const t = s.time.read(raw);
    if (!t) return `${s.spec}: unreadable time ${JSON.stringify(raw.slice(0, 40))}`;
    time.push(t);
    return null;
  }
  if (s.expand) {
    const more = s.expand(raw);
    if (!more) return `${s.spec}: unreadable value ${JSON.stringify(raw.slice(0, 40))}`;
    values.push(...more);
    return null;
  }
  values.push({ field: s.field, label: s.label, header: s.header, secret: s.secret, value: s.decode(raw) });
  return null;
}

// Private-use markers stand for slots while the format text is parsed as JSON.
const MARK_OPEN = '\uE000';
const MARK_CLOSE = '\uE001';
const MARK_RE = /\uE000(\d+)\uE001/g;

/**
 * When the format is a JSON object (NGINX `escape=json`, the JSON LogFormat many Apache and
 * HAProxy owners write), the member path of each slot, so lines are read with JSON.parse: no
 * guessing where a value ends, members in any order, JSON's own escaping undone exactly.
 */
export function jsonShape(segs: readonly Segment[]): JsonShape | null {
  let text = '';
  let inString = false;
  const slots: Slot[] = [];
  for (const s of segs) {
    if (s.kind === 'lit') {
      for (let i = 0; i < s.text.length; i++) {
        const c = s.text[i];
        if (c === '\\' && inString) {
          i++;
          continue;
        }
        if (c === '"') inString = !inString;
      }
      text += s.text;
    } else {
      const mark = `${MARK_OPEN}${slots.length}${MARK_CLOSE}`;
      slots.push(s);
      // A bare slot (`"status":$status`) becomes a string member holding only its mark.
      text += inString ? mark : `"${mark}"`;
    }
  }
  if (!text.trim().startsWith('{')) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  const shape: JsonShape = [];
  const walk = (v: unknown, path: string[]) => {
    if (typeof v === 'string') {
      if (!v.includes(MARK_OPEN)) return;
      const template: Segment[] = [];
      let last = 0;
      for (const m of v.matchAll(MARK_RE)) {
        template.push({ kind: 'lit', text: v.slice(last, m.index) });
        template.push({ ...slots[Number(m[1])]!, decode: (x: string) => x, escapesQuotes: false });
        last = m.index! + m[0].length;
      }
      template.push({ kind: 'lit', text: v.slice(last) });
      shape.push({ path, template: normalizeSegments(template) });
    } else if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, String(i)]));
    else if (typeof v === 'object' && v !== null) for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
  };
  walk(parsed, []);
  return shape.length > 0 ? shape : null;
}
