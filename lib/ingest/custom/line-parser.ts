// A compiled log format as a LineParser: each line matched against the format (as JSON when the
// format is a JSON object and the line parses as one, else as text), its slot values turned into
// an event by fields.ts. A line that does not match is rejected with the variable at which it
// stopped matching; a syslog header in front of the line (HAProxy logs through syslog) is skipped.
import { redact, redactJsonLine } from '../redact.ts';
import { OTHER_FRONTEND, SERVICE_LINE, SKIP, err, type FormatName, type LineParser, type ParseContext, type ParseResult } from '../types.ts';
import { guard, isObject, isEmptyLine, isUnset, type Json } from '../fields.ts';
import { eventFromValues, isSensitiveSlot as isSensitive, redactSlotValue as redactValue, type SlotValue } from './fields.ts';
import {
  compilePatterns, matchSegments, slotValues, type CompiledPatterns, type JsonShape, type Segment, type Slot,
} from './template.ts';
import type { TimeParts } from './time.ts';
import type { LogTimeZone } from '../time-zone.ts';

export interface LineParserSpec {
  gateway: 'nginx' | 'apache' | 'haproxy';
  /** How errors name the format: `log_format 'main'`, `LogFormat 'ssl_combined'`, `log-format of frontend 'fe'`. */
  title: string;
  segments: Segment[];
  json: JsonShape | null;
  codeSpecs?: { verify: string; err: string; caErr: string; used: string };
  serviceLines?: RegExp[];
  /** HAProxy: the formats of the configuration's other frontends; a line in one of them is skipped (other_frontend), not rejected. */
  otherFormats?: Segment[][];
  /** Values known from the configuration, added after the line's own (which win). */
  constants?: SlotValue[];
  /** What the format cannot tell (compiled.ts): set on every event it reads. */
  notLogged?: { certificate: boolean; dpop: boolean; cnf: boolean; thumbprint: boolean } | null;
  /** Which field holds the TCP peer (compiled.ts peerFieldOf). */
  peerFrom?: 'peer_ip' | 'client_ip' | null;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * Syslog headers a gateway's line may arrive behind (HAProxy always logs through syslog; NGINX and
 * Apache can). Group 1 is the header's time.
 */
const SYSLOG_HEADERS: RegExp[] = [
  // RFC 3164 and rsyslog's file format: `<134>Dec  4 10:24:55 host haproxy[6574]: ` (PRI and host optional).
  /^(?:<\d{1,3}>)?([A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2}) (?:\S+ )?[\w./-]+(?:\[\d+\])?: /,
  // RFC 5424: `<134>1 2026-12-04T10:24:55.123+00:00 host app procid msgid - `.
  /^<\d{1,3}>1 (\S+) \S+ \S+ \S+ \S+ (?:-|(?:\[(?:[^\]\\]|\\.)*\])+) /,
  // rsyslog's high-precision file format: `2026-12-04T10:24:55.123456+00:00 host haproxy[1]: `.
  /^(\d{4}-\d{2}-\d{2}T\S+) \S+ [\w./-]+(?:\[\d+\])?: /,
];

/**
 * RFC 3164 times carry no year: the latest one not ahead of the clock by more than a day. Nor a zone:
 * read in the ingest's zone, else as UTC.
 */
function syslogTime(s: string, now: Date, zone: LogTimeZone | null): Date | null {
  const m = /^([A-Z][a-z]{2}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2})$/.exec(s);
  if (!m) {
    const d = new Date(s);
    return Number.isNaN(d.getTime()) ? null : d;
  }
  const month = MONTHS.indexOf(m[1]!);
  if (month < 0) return null;
  const at = (y: number) => {
    const wall = Date.UTC(y, month, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]));
    return new Date(zone ? zone.toUtc(wall) : wall);
  };
  const y = now.getUTCFullYear();
  const d = at(y);
  return d.getTime() > now.getTime() + 86_400_000 ? at(y - 1) : d;
}

function stripSyslog(text: string, now: Date, zone: LogTimeZone | null): { rest: string; time: Date | null } | null {
  for (const re of SYSLOG_HEADERS) {
    const m = re.exec(text);
    if (m) return { rest: text.slice(m[0].length), time: syslogTime(m[1]!, now, zone) };
  }
  return null;
}

/** The raw line with the values of credential-carrying slots replaced, then the generic redaction. */
function redactedText(line: string, spans: Array<{ slot: Slot; start: number; end: number }>): string {
  let out = '';
  let pos = 0;
  for (const { slot, start, end } of spans) {
    if (end <= start) continue;
    if (slot.redactRaw) {
      out += line.slice(pos, start) + slot.redactRaw(line.slice(start, end));
      pos = end;
      continue;
    }
    if (!isSensitive(slot)) continue;
    const raw = line.slice(start, end);
    if (raw === '-' || raw === '""') continue;
    const quoted = slot.maybeQuoted && raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"');
    out += line.slice(pos, start) + (quoted ? `"${redactValue(slot, raw.slice(1, -1))}"` : redactValue(slot, raw));
    pos = end;
  }
  return redact(out + line.slice(pos));
}

function memberAt(o: Json, path: string[]): unknown {
  let v: unknown = o;
  for (const k of path) {
    if (!isObject(v) && !Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

function setMember(o: Json, path: string[], value: unknown): void {
  let v: unknown = o;
  for (const k of path.slice(0, -1)) v = (v as Record<string, unknown>)[k];
  if (isObject(v) || Array.isArray(v)) (v as Record<string, unknown>)[path[path.length - 1]!] = value;
}

export class CompiledLineParser implements LineParser {
  readonly format: FormatName;
  private readonly patterns: CompiledPatterns;
  private readonly jsonPatterns: CompiledPatterns[];
  private readonly otherPatterns: Array<{ segments: Segment[]; patterns: CompiledPatterns }>;

  constructor(readonly spec: LineParserSpec) {
    this.format = spec.gateway;
    this.patterns = compilePatterns(spec.segments);
    this.jsonPatterns = (spec.json ?? []).map((m) => compilePatterns(m.template));
    this.otherPatterns = (spec.otherFormats ?? []).map((segments) => ({ segments, patterns: compilePatterns(segments) }));
  }

  parseLine(text: string, ctx: ParseContext): ParseResult {
    if (isEmptyLine(text)) return SKIP;
    const line = text.endsWith('\r') ? text.slice(0, -1) : text;
    return guard(() => {
      if (this.spec.json && line.trimStart().startsWith('{')) {
        const r = this.parseJson(line, ctx);
        if (r) return r;
      }
      return this.parseText(line, ctx);
    });
  }

  private parseText(line: string, ctx: ParseContext): ParseResult {
    let m = matchSegments(this.spec.segments, line, this.patterns);
    let body = line;
    let fallbackTime: Date | null = null;
    if (!m.ok) {
      const sys = stripSyslog(line, ctx.now(), ctx.timeZone);
      const again = sys ? matchSegments(this.spec.segments, sys.rest, this.patterns) : null;
      if (!again?.ok) {
        const rest = sys?.rest ?? line;
        const ambiguous = [m, again].find((x) => x && !x.ok && x.ambiguous);
        if (ambiguous && !ambiguous.ok) return err('ambiguous_line', `${this.spec.title}: ${ambiguous.message}; quote the value in the log format`);
        if (this.spec.serviceLines?.some((re) => re.test(rest))) return SERVICE_LINE;
        if (this.isOtherFormat(line) || (sys && this.isOtherFormat(sys.rest))) return OTHER_FRONTEND;
        return err('unrecognized_line', `does not match ${this.spec.title}: ${m.message}`);
      }
      m = again;
      body = sys!.rest;
      fallbackTime = sys!.time;
    }
    const prefix = line.slice(0, line.length - body.length);
    const redactedRaw = prefix + redactedText(body, m.spans);
    return this.event(redactedRaw, m.values, m.time, fallbackTime, ctx);
  }

  /** Whether the line is in the format of another frontend of the configuration (it matches, or splits more than one way). */
  private isOtherFormat(text: string): boolean {
    return this.otherPatterns.some(({ segments, patterns }) => {
      const m = matchSegments(segments, text, patterns);
      return m.ok || !!m.ambiguous;
    });
  }

  /** Null when the line is not a JSON object after all (then it is matched as text). */
  private parseJson(line: string, ctx: ParseContext): ParseResult | null {
    let o: unknown;
    try {
      o = JSON.parse(line);
    } catch {
      return null;
    }
    if (!isObject(o)) return null;
    const values: SlotValue[] = [];
    const time: TimeParts[] = [];
    // A copy to redact is made only for a line that carries a credential member.
    let copy: Json | null = null;
    const shape = this.spec.json!;
    for (let k = 0; k < shape.length; k++) {
      const { path, template } = shape[k]!;
      const v = memberAt(o, path);
      if (v !== undefined && v !== null && typeof v === 'object') {
        return err('wrong_type', `${this.spec.title}: member ${path.join('.')} should be a string or number, got ${Array.isArray(v) ? 'an array' : 'an object'}`);
      }
      const s = isUnset(v) ? '' : String(v);
      const only = template.length === 1 && template[0]!.kind === 'slot' ? template[0] : null;
      if (only) {
        const problem = slotValues(only, s, values, time);
        if (problem) return err('invalid_value', `${this.spec.title}: ${problem}`);
        if (isSensitive(only) && s) {
          copy ??= structuredClone(o);
          setMember(copy, path, redactValue(only, s));
        }
        continue;
      }
      if (s === '') continue;
      const m = matchSegments(template, s, this.jsonPatterns[k]!);
      if (!m.ok && m.ambiguous) return err('ambiguous_line', `${this.spec.title}: member ${path.join('.')}: ${m.message}`);
      if (!m.ok) return err('unrecognized_line', `does not match ${this.spec.title}: member ${path.join('.')}: ${m.message}`);
      values.push(...m.values);
      time.push(...m.time);
      if (m.spans.some((sp) => isSensitive(sp.slot) || sp.slot.redactRaw)) {
        copy ??= structuredClone(o);
        setMember(copy, path, redactedText(s, m.spans));
      }
    }
    const redactedRaw = copy ? redact(JSON.stringify(copy)) : redactJsonLine(line, o);
    return this.event(redactedRaw, values, time, null, ctx);
  }

  private event(redactedRaw: string, values: SlotValue[], time: TimeParts[], fallbackTime: Date | null, ctx: ParseContext): ParseResult {
    const event = eventFromValues(
      { format: this.spec.gateway, redactedRaw, values: this.spec.constants?.length ? [...values, ...this.spec.constants] : values, time, fallbackTime, codeSpecs: this.spec.codeSpecs, notLogged: this.spec.notLogged, peerFrom: this.spec.peerFrom },
      ctx,
    );
    return { kind: 'event', event };
  }
}
