// Reading the fields of a parsed log line: JSON shape checks, the "unset" conventions of
// gateways ("" and "-"), typed readers that turn a wrong type into a rejected line (FieldError,
// caught by guard), HTTP status bounds and logged flags.
import { err, type ParseErrorReason, type ParseResult } from './types.ts';

export type Json = Record<string, unknown>;

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Thrown inside a parser body, caught by `guard`, turned into an error result. */
export class FieldError extends Error {
  constructor(
    readonly reason: ParseErrorReason,
    message: string,
  ) {
    super(message);
  }
}

/** JSON.parse of one line into an object; throws FieldError otherwise (use inside `guard`). */
export function jsonObject(text: string): Json {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new FieldError('invalid_json', `not valid JSON: ${(e as Error).message.slice(0, 120)}`);
  }
  if (!isObject(v)) throw new FieldError('not_an_object', `expected a JSON object, got ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}`);
  return v;
}

/** Runs a parser body; no input can make a parser throw. */
export function guard(fn: () => ParseResult): ParseResult {
  try {
    return fn();
  } catch (e) {
    if (e instanceof FieldError) return err(e.reason, e.message);
    return err('invalid_value', `unparseable line: ${(e as Error)?.message?.slice(0, 120) ?? 'unknown error'}`);
  }
}

/** Gateways write "" or "-" for an unset variable. */
export function isUnset(v: unknown): boolean {
  return v === undefined || v === null || v === '' || v === '-';
}

/** A string field, null when unset; numbers and booleans are stringified; objects are a type error. */
export function optStr(o: Json, key: string): string | null {
  return strValue(o[key], key);
}

/**
 * optStr of a value the caller has read itself. A parser that reads its fields by name
 * (`o.host`) gets inline-cached property loads, every line of one log format having the same
 * shape, where `o[key]` with a varying key is a generic lookup per field per line.
 */
export function strValue(v: unknown, key: string): string | null {
  if (isUnset(v)) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new FieldError('wrong_type', `field "${key}" should be a string, got ${Array.isArray(v) ? 'array' : typeof v}`);
}

/** First present key among aliases. */
export function pickStr(o: Json, ...keys: string[]): string | null {
  // (No `k in o` first: an absent key reads as undefined, which optStr already treats as unset.)
  for (const k of keys) {
    const v = optStr(o, k);
    if (v !== null) return v;
  }
  return null;
}

/** An integer field given as number or numeric string; null when unset. */
export function optInt(o: Json, key: string): number | null {
  return intValue(o[key], key);
}

/** optInt of a value the caller has read itself (see strValue). */
export function intValue(v: unknown, key: string): number | null {
  if (isUnset(v)) return null;
  if (typeof v === 'number' && Number.isFinite(v)) return Math.trunc(v);
  if (typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v)) return Math.trunc(Number(v));
  throw new FieldError('wrong_type', `field "${key}" should be a number, got ${JSON.stringify(v).slice(0, 40)}`);
}

export function pickInt(o: Json, ...keys: string[]): number | null {
  for (const k of keys) {
    const v = optInt(o, k);
    if (v !== null) return v;
  }
  return null;
}

export function optObj(o: Json, key: string): Json | null {
  const v = o[key];
  if (isUnset(v)) return null;
  if (!isObject(v)) throw new FieldError('wrong_type', `field "${key}" should be an object`);
  return v;
}

export function httpStatus(n: number | null): number | null {
  // Envoy logs 0 when no response was sent (e.g. a TLS failure): no status.
  if (n === null || n === 0) return null;
  if (n < 100 || n > 999) throw new FieldError('invalid_value', `HTTP status ${n} is out of range`);
  return n;
}

/** Truthy flags as logged: "1", "true", "yes", true, 1. */
export function flag(v: unknown): boolean {
  if (v === true || v === 1) return true;
  if (typeof v === 'string') return /^(1|true|yes|on)$/i.test(v.trim());
  return false;
}

export function isEmptyLine(text: string): boolean {
  return text.trim() === '';
}
