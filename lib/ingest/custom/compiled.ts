// What the three gateway compilers share: the result type, the one-line refusal, the checks that
// a format can be used at all (a time, and something to judge binding by) and the choice of one
// format among several in a configuration.
import type { LineParser } from '../types.ts';
import {
  CERT_FIELDS, CERT_IDENTITY_FIELDS, DECODED_CLAIM_FIELDS, FIELD_VALUE_PATTERNS, FORWARDING_FIELDS, GATEWAY_CLAIM_FIELDS, TOKEN_FIELDS, VERIFY_FIELDS, type FieldName, type SlotValue,
} from './fields.ts';
import { CompiledLineParser } from './line-parser.ts';
import { jsonShape, normalizeSegments, type Segment, type Slot } from './template.ts';
import { timeHasZone, timeIsComplete } from './time.ts';

export type GatewayFormat = 'nginx' | 'apache' | 'haproxy';
export const GATEWAY_FORMATS: readonly GatewayFormat[] = ['nginx', 'apache', 'haproxy'];

export function isGatewayFormat(s: string): s is GatewayFormat {
  return (GATEWAY_FORMATS as readonly string[]).includes(s);
}

/** Why a configuration gave no usable format. */
export type LogFormatErrorCode =
  /** No log format directive in the configuration at all. */
  | 'no_log_format'
  /** `--log-format NAME` names none of the formats there. */
  | 'unknown_name'
  /** Several usable formats and no name to choose one. */
  | 'ambiguous'
  | 'no_time'
  | 'no_binding_facts'
  /** The configuration or the format string does not parse. */
  | 'syntax';

/** A configuration Holdfast cannot read a log format from; the message is one line naming what is missing. */
export class LogFormatError extends Error {
  constructor(
    readonly code: LogFormatErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'LogFormatError';
  }
}

export interface CompiledLogFormat {
  gateway: GatewayFormat;
  /** NGINX log_format name, Apache LogFormat nickname (or CustomLog path), HAProxy frontend. */
  name: string;
  /** Every name the configuration offers (what `--log-format` accepts). */
  names: string[];
  /** Canonical fields the format carries. */
  fields: FieldName[];
  /** Variables kept as labels. */
  labels: string[];
  /** What the format cannot tell (no status, no certificate identity…), one line each. */
  warnings: string[];
  parser: LineParser;
}

/** A format as a compiler found it in the configuration, before the checks. */
export interface FoundFormat {
  name: string;
  /** `log_format 'main'`, `LogFormat 'combined'`, `log-format of frontend 'fe'`. */
  title: string;
  segments: Segment[];
  /** Warnings the compiler already knows (an unknown variable, a short HAProxy log length). */
  warnings: string[];
  /** HAProxy: the formats of the other frontends of the configuration (lines of theirs in the same file are skipped as other_frontend). */
  others?: Segment[][];
  /** NGINX: variables the format logs that a `map` derives from `$ssl_client_verify` (`$mtls_ok`), named in the warning. */
  verifyMaps?: string[];
  /** HAProxy only: lines come through syslog, whose header time stands in when the format logs none. */
  syslogTime?: boolean;
  codeSpecs?: { verify: string; err: string; caErr: string; used: string };
  /** Values every line has, known from the configuration rather than logged (HAProxy: https when every `bind` has `ssl`); a logged value wins. */
  constants?: SlotValue[];
  /** Lines the gateway writes to the same log that are not requests (HAProxy's proxy and connection messages): skipped when they do not match the format. */
  serviceLines?: RegExp[];
  /** What in the configuration rewrites the client address (client_ip) from a proxy header, if anything: then it is not the TCP peer. */
  clientIpRewrittenBy?: string | null;
}

/** How to log the TCP peer, per gateway. */
const PEER_HINT: Readonly<Record<GatewayFormat, string>> = {
  nginx: 'log $realip_remote_addr',
  apache: 'log %{c}a',
  haproxy: 'log %ci (without set-src or accept-proxy)',
};

/**
 * The field that holds the TCP peer a forwarded certificate header came from: the peer's own field,
 * else the client address where nothing in the configuration rewrites it; null when neither.
 */
function peerFieldOf(fields: ReadonlySet<FieldName>, found: FoundFormat): 'peer_ip' | 'client_ip' | null {
  if (fields.has('peer_ip')) return 'peer_ip';
  return fields.has('client_ip') && !found.clientIpRewrittenBy ? 'client_ip' : null;
}

const slotsOf = (segs: Segment[]): Slot[] => segs.filter((s): s is Slot => s.kind === 'slot');

/** Whether the format wraps segment i's value in double quotes (`"$http_authorization"`, HAProxy `%{+Q}`). */
function isQuoted(segs: readonly Segment[], i: number): boolean {
  const s = segs[i] as Slot;
  if (s.mustQuote || s.maybeQuoted) return true;
  const prev = segs[i - 1];
  const next = segs[i + 1];
  return prev?.kind === 'lit' && prev.text.endsWith('"') && next?.kind === 'lit' && next.text.startsWith('"');
}

/**
 * Each slot of a canonical field gets its value's shape (FIELD_VALUE_PATTERNS) unless the
 * compiler gave it one: the matcher then finds where an unquoted value ends.
 */
function withFieldPatterns(segs: Segment[]): Segment[] {
  return segs.map((s, i) => {
    if (s.kind !== 'slot' || s.pattern || s.time || s.expand || !s.field) return s;
    const shape = FIELD_VALUE_PATTERNS[s.field];
    if (!shape || (shape.unquotedOnly && isQuoted(segs, i))) return s;
    return { ...s, pattern: shape.pattern };
  });
}

/**
 * Unquoted values that may hold spaces, side by side with only a separator between them
 * (`$http_authorization $ssl_client_verify`): a line whose split is not certain is refused.
 */
function adjacentFreeText(segs: readonly Segment[]): Array<[Slot, Slot]> {
  const free = (i: number): boolean => {
    const s = segs[i];
    if (s?.kind !== 'slot' || s.time || isQuoted(segs, i)) return false;
    if (!s.pattern) return true;
    return !!s.field && !!FIELD_VALUE_PATTERNS[s.field]?.spaces;
  };
  const pairs: Array<[Slot, Slot]> = [];
  for (let i = 0; i + 2 < segs.length; i++) {
    const between = segs[i + 1]!;
    if (!free(i) || !free(i + 2) || between.kind !== 'lit' || !/^\s+$/.test(between.text)) continue;
    const [a, b] = [segs[i] as Slot, segs[i + 2] as Slot];
    // Two labels side by side only move label text around; a field on either side decides the event.
    if (a.field || b.field) pairs.push([a, b]);
  }
  return pairs;
}

/** All fields a slot may fill, including those of a multi-value slot (HAProxy `%hr`). */
function fieldsOf(slot: Slot): Array<FieldName | null> {
  return slot.expandsTo ?? [slot.field];
}

/** How to log the verify result, per gateway. */
const VERIFY_HINT: Readonly<Record<GatewayFormat, string>> = {
  nginx: 'log $ssl_client_verify',
  apache: 'log %{SSL_CLIENT_VERIFY}x',
  haproxy: 'log %[ssl_c_verify], %[ssl_c_err] and %[ssl_c_ca_err]',
};

/** How to log a time with its zone, per gateway. */
const ZONED_TIME_HINT: Readonly<Record<GatewayFormat, string>> = {
  nginx: 'log $time_iso8601 or $time_local',
  apache: 'add %z to the strftime format, or log %t',
  haproxy: 'log %trl, %Tl or %Ts instead',
};

/** How to give the zone of zone-less times (CLI and API). */
const TIME_ZONE_HINT = "give the gateway's zone (--time-zone Europe/Berlin, or timeZone= on the API)";

/**
 * The checks and the parser of one found format; throws LogFormatError with a one-line reason.
 * `timeZone`: the name of the zone zone-less times are read in (the warning names it), none: UTC.
 */
export function finishFormat(gateway: GatewayFormat, found: FoundFormat, names: string[], timeZone?: string): CompiledLogFormat {
  const segments = withFieldPatterns(normalizeSegments(found.segments));
  const slots = slotsOf(segments);
  const fields = new Set<FieldName>();
  for (const s of slots) for (const f of fieldsOf(s)) if (f) fields.add(f);
  for (const c of found.constants ?? []) if (c.field) fields.add(c.field);
  const warnings = [...found.warnings];
  const times = slots.flatMap((s) => (s.time ? [s.time] : []));
  if (!timeIsComplete(times)) {
    if (!found.syslogTime) {
      throw new LogFormatError('no_time', times.length ? `${found.title} has no complete time (its time variables give no full date)` : `${found.title} has no time variable`);
    }
    const zone = timeZone ? `read in ${timeZone}, the time zone given` : `read as UTC; ${TIME_ZONE_HINT}`;
    warnings.push(`${found.title} logs no time: the syslog header's time is used (an RFC 3164 header has no zone: ${zone}), and a line without one is rejected`);
  } else if (!timeHasZone(times)) {
    const spec = times.length === 1 ? slots.find((s) => s.time)!.spec : 'its time variables';
    warnings.push(
      timeZone
        ? `${found.title} logs its time without a zone (${spec}): it is read in ${timeZone}, the time zone given; ${ZONED_TIME_HINT[gateway]}`
        : `${found.title} logs its time without a zone (${spec}): it is read as UTC, so on a gateway whose clock is not on UTC every time is off by its offset and a valid token can read expired; ${TIME_ZONE_HINT}, or ${ZONED_TIME_HINT[gateway]}`,
    );
  }
  const has = (list: readonly FieldName[]) => list.some((f) => fields.has(f));
  if (!has(TOKEN_FIELDS) && !has(CERT_FIELDS) && !has(VERIFY_FIELDS)) {
    throw new LogFormatError('no_binding_facts', `${found.title} carries no token, certificate or verify result: nothing to judge binding by`);
  }
  if (!fields.has('status')) warnings.push(`${found.title} logs no status: whether the gateway let a request through is unknown`);
  if (!has(TOKEN_FIELDS)) warnings.push(`${found.title} logs nothing of the token (Authorization scheme or fingerprint, DPoP): only certificate verdicts`);
  // The certificate without the gateway's verdict on it: one that failed verification and was
  // still logged (NGINX `optional`, HAProxy `crt-ignore-err`) looks like any other.
  if (!has(VERIFY_FIELDS) && CERT_FIELDS.some((f) => f !== 'forwarded_cert' && fields.has(f))) {
    const mapped = found.verifyMaps?.length ? ` (${found.verifyMaps.join(', ')} only maps it to values that do not say how it failed)` : '';
    warnings.push(`${found.title} logs the client certificate but not the gateway's verify result${mapped}: a certificate that failed verification (revoked, expired, untrusted) cannot be told from a valid one, so certificate failures are not judged; ${VERIFY_HINT[gateway]}`);
  }
  // A field the format lacks is unknown, not empty: without one, a request with a certificate-bound
  // (or DPoP-bound) token is not judged, rather than read as sent without its certificate (proof).
  // HAProxy's verify and error codes alone do not say whether a certificate was presented.
  const notLogged = {
    certificate: !has(CERT_FIELDS) && !fields.has('tls_verify') && !fields.has('tls_cert_used'),
    dpop: !fields.has('dpop') && !fields.has('has_dpop'),
    // Claims read at the gateway (jwt_payload_query, njs) without both cnf members, and no field
    // that carries the whole JWT: an empty or absent member does not make the token bearer, the
    // one not logged may bind it.
    cnf: has(GATEWAY_CLAIM_FIELDS) && !has(DECODED_CLAIM_FIELDS) && !(fields.has('cnf_x5t') && fields.has('cnf_jkt')),
    // This hop ended TLS (it logs its own verify result or the certificate's subject, issuer,
    // serial or SHA-1) but logs nothing that gives x5t#S256 (SHA-256, PEM, DER): a certificate it
    // received was not stripped by anyone, it only cannot be compared (certificate_not_logged).
    thumbprint: (has(VERIFY_FIELDS) || has(CERT_FIELDS.filter((f) => f !== 'forwarded_cert'))) && !has(CERT_IDENTITY_FIELDS),
  };
  if (notLogged.thumbprint) {
    warnings.push(
      `${found.title} logs no certificate fingerprint or PEM that gives x5t#S256 (a SHA-256, the PEM or DER; a SHA-1 cannot): a certificate-bound token cannot be compared with the certificate presented, so its requests are not judged (reason certificate_not_logged)`,
    );
  }
  if (has(TOKEN_FIELDS) && notLogged.certificate) {
    warnings.push(`${found.title} logs nothing that says whether a client certificate was presented: requests with certificate-bound tokens are not judged (reason certificate_not_logged)`);
  }
  if (has(TOKEN_FIELDS) && notLogged.dpop) {
    warnings.push(`${found.title} logs neither the DPoP header nor its presence: requests with DPoP-bound tokens are not judged (reason proof_not_logged)`);
  }
  if (notLogged.cnf) {
    if (fields.has('cnf_x5t') || fields.has('cnf_jkt')) {
      const [logged, missing] = fields.has('cnf_x5t') ? ['cnf.x5t#S256', 'cnf.jkt'] : ['cnf.jkt', 'cnf.x5t#S256'];
      warnings.push(`${found.title} logs the token's ${logged} but not ${missing}: a token whose ${logged} is empty may be bound by ${missing}, so its binding is left unknown (not bearer)`);
    } else {
      warnings.push(`${found.title} logs the token's claims but neither cnf.x5t#S256 nor cnf.jkt: whether a token is bound is unknown, so no token is stored bearer from this log`);
    }
  }
  if (fields.has('dpop') && !fields.has('authorization') && !fields.has('auth_scheme')) {
    warnings.push(
      `${found.title} logs the DPoP proof but not the Authorization header: the token and its binding are unknown, so a proof signed by another key or made for another token cannot be seen; a proof that fails the checks needing no token (malformed, typ, alg, signature, htm, htu, iat, jti replay) reads bound_not_enforced when the gateway accepted it, proof_invalid when it refused it`,
    );
  }
  const forwarding = FORWARDING_FIELDS.filter((f) => fields.has(f));
  if (fields.has('dpop') && !(fields.has('scheme') && fields.has('host')) && forwarding.length === 0) {
    const missing = !fields.has('scheme') && !fields.has('host') ? 'no scheme and host' : !fields.has('scheme') ? 'no scheme' : 'no host';
    warnings.push(`${found.title} logs ${missing}: a DPoP proof's htu is compared with the request's path only`);
  }
  const peerFrom = peerFieldOf(fields, found);
  if (fields.has('forwarded_cert') && !peerFrom) {
    const why = fields.has('client_ip') ? `its client address is rewritten from a proxy header by ${found.clientIpRewrittenBy}` : 'it logs no client address';
    warnings.push(`${found.title} logs a forwarded client certificate but not the TCP peer that sent it (${why}): a forged certificate header sent straight to this backend cannot be told from its proxy's, so the source's trusted proxies cannot apply; ${PEER_HINT[gateway]}`);
  }
  if (forwarding.length > 0 && !peerFrom) {
    const why = fields.has('client_ip') ? `its client address is rewritten from a proxy header by ${found.clientIpRewrittenBy}` : 'it logs no client address';
    warnings.push(`${found.title} logs the forwarding headers (the URL a client called through a proxy, which a DPoP proof's htu names) but not the TCP peer that sent them (${why}): where the source has trusted proxies they are not used, so a proof made for the proxy's URL reads htu; ${PEER_HINT[gateway]}`);
  }
  for (const [a, b] of adjacentFreeText(segments)) {
    warnings.push(`${found.title}: ${a.spec} and ${b.spec} are unquoted, side by side, and may hold spaces: a line where it is not certain which words belong to which is refused (ambiguous_line); put quotes around them in the format`);
  }
  const labels = slots.filter((s) => !s.field && !s.time && !s.expandsTo).map((s) => s.label);
  return {
    gateway,
    name: found.name,
    names,
    fields: [...fields],
    labels,
    warnings,
    parser: new CompiledLineParser({
      gateway, title: found.title, segments, json: jsonShape(segments), codeSpecs: found.codeSpecs, serviceLines: found.serviceLines, constants: found.constants,
      otherFormats: found.others?.map((o) => withFieldPatterns(normalizeSegments(o))),
      notLogged: notLogged.certificate || notLogged.dpop || notLogged.cnf || notLogged.thumbprint ? notLogged : null,
      peerFrom,
    }),
  };
}

/**
 * One format out of a configuration's several. A name given must exist. Without one: the formats
 * the configuration actually logs with (`preferred`), else all; of those, the only usable one,
 * else the reason the only candidate is unusable, else a list to choose from.
 */
export function chooseFormat(
  gateway: GatewayFormat,
  all: FoundFormat[],
  preferred: string[],
  wanted: string | undefined,
  what: { noun: string; flag?: string },
  timeZone?: string,
): CompiledLogFormat {
  const names = all.map((f) => f.name);
  if (all.length === 0) throw new LogFormatError('no_log_format', `the configuration defines no ${what.noun}`);
  if (wanted !== undefined) {
    const f = all.find((x) => x.name === wanted);
    if (!f) throw new LogFormatError('unknown_name', `no ${what.noun} named '${wanted.slice(0, 60)}'; the configuration has: ${names.join(', ')}`);
    return finishFormat(gateway, f, names, timeZone);
  }
  const pool = preferred.length > 0 ? all.filter((f) => preferred.includes(f.name)) : all;
  const candidates = pool.length > 0 ? pool : all;
  const usable: CompiledLogFormat[] = [];
  let firstError: LogFormatError | null = null;
  for (const f of candidates) {
    try {
      usable.push(finishFormat(gateway, f, names, timeZone));
    } catch (e) {
      if (!(e instanceof LogFormatError)) throw e;
      firstError ??= e;
    }
  }
  if (usable.length === 1) return usable[0]!;
  if (usable.length === 0) {
    if (candidates.length === 1 && firstError) throw firstError;
    throw new LogFormatError('no_binding_facts', `none of the ${what.noun}s (${candidates.map((c) => c.name).join(', ')}) carries a time and a token, certificate or verify result`);
  }
  throw new LogFormatError('ambiguous', `several ${what.noun}s could be the one: ${usable.map((u) => u.name).join(', ')}; pass --log-format NAME`);
}
