// Options become configuration text: a value with `;`, `{`, a quote or a newline would add
// directives of its own to an NGINX or HAProxy configuration. Each value is checked against the
// narrow shape it may have, and a bad one is refused with its name, never escaped into the text.
import { HoldfastError } from '../errors.ts';
import { ENFORCEMENT_MODES, ENFORCEMENT_REQUIREMENTS, type EnforcementMode, type EnforcementOptions, type EnforcementRequirement } from './types.ts';

/** A host name (or `_`, any host): letters, digits, dots and hyphens, optionally a leading `*.`. */
const SERVER_NAME = /^(?:_|(?:\*\.)?[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9-]{1,63})*)$/;
/** A path prefix: starts with `/`, then RFC 3986 path characters without quotes or spaces. */
const LOCATION_PREFIX = /^\/[A-Za-z0-9._~!$&'()*+,=:@%/-]{0,255}$/;
/** An absolute file path without spaces, quotes, `;`, braces or `$` (NGINX variables). */
const FILE_PATH = /^\/[A-Za-z0-9._+/@-]{0,1023}$/;
/** An http(s) upstream: scheme, host or address, optional port, optional path. */
const UPSTREAM = /^https?:\/\/(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?(?:\/[A-Za-z0-9._~/-]*)?$/;
/** An NGINX `listen` / HAProxy `bind` address: [host:]port, IPv6 in brackets. */
const LISTEN = /^(?:(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):)?\d{1,5}$/;
/** An HAProxy log target: `stdout`, `stderr`, an address:port or a unix socket path. */
const LOG_TARGET = /^(?:stdout|stderr|(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):\d{1,5}|\/[A-Za-z0-9._/-]{1,255})$/;

function refuse(name: string, why: string): never {
  throw new HoldfastError('validation_failed', `${name}: ${why}`);
}

function check(name: string, value: string | undefined | null, shape: RegExp, why: string): void {
  if (value === undefined || value === null) return;
  if (typeof value !== 'string' || !shape.test(value)) refuse(name, why);
}

/** The policy part of the options, with defaults applied. */
export interface ResolvedPolicy {
  require: EnforcementRequirement;
  mode: EnforcementMode;
  maxTtlSeconds: number | null;
  dpopMaxAgeSeconds: number;
  serverName: string;
  locationPrefix: string;
}

/**
 * Checks every option a generator writes into configuration text and applies the defaults.
 * Throws HoldfastError `validation_failed` naming the first bad option.
 */
export function resolvePolicy(o: EnforcementOptions): ResolvedPolicy {
  if (!ENFORCEMENT_REQUIREMENTS.includes(o.require)) refuse('require', `must be one of ${ENFORCEMENT_REQUIREMENTS.join(', ')}`);
  const mode = o.mode ?? 'enforce';
  if (!ENFORCEMENT_MODES.includes(mode)) refuse('mode', `must be one of ${ENFORCEMENT_MODES.join(', ')}`);
  const maxTtl = o.maxTtlSeconds ?? null;
  if (maxTtl !== null && !(Number.isSafeInteger(maxTtl) && maxTtl > 0)) refuse('maxTtlSeconds', 'must be a whole number of seconds above 0');
  const maxAge = o.dpopMaxAgeSeconds ?? 300;
  if (!(Number.isSafeInteger(maxAge) && maxAge > 0 && maxAge <= 3600)) refuse('dpopMaxAgeSeconds', 'must be a whole number of seconds from 1 to 3600');
  const serverName = o.scope?.serverName ?? '_';
  check('scope.serverName', serverName, SERVER_NAME, 'must be a host name or _');
  const locationPrefix = o.scope?.locationPrefix ?? '/';
  check('scope.locationPrefix', locationPrefix, LOCATION_PREFIX, 'must be a path starting with / (no spaces or quotes)');
  check('upstream', o.upstream, UPSTREAM, 'must be an http(s) URL such as http://10.0.0.5:8080');
  if (typeof o.upstream !== 'string') refuse('upstream', 'is required');
  check('logPath', o.logPath, FILE_PATH, 'must be an absolute file path without spaces, quotes or $');
  if (typeof o.logPath !== 'string') refuse('logPath', 'is required');
  if (o.tls) {
    check('tls.certificate', o.tls.certificate, FILE_PATH, 'must be an absolute file path');
    check('tls.certificateKey', o.tls.certificateKey, FILE_PATH, 'must be an absolute file path');
    check('tls.clientCa', o.tls.clientCa, FILE_PATH, 'must be an absolute file path');
    check('tls.crl', o.tls.crl, FILE_PATH, 'must be an absolute file path');
  }
  // Certificates are the proof under mtls; under bound a client may bring either proof.
  if (o.require !== 'dpop' && o.tls && !o.tls.clientCa) refuse('tls.clientCa', `is required when require is ${o.require} (client certificates must be requested)`);
  return { require: o.require, mode, maxTtlSeconds: maxTtl, dpopMaxAgeSeconds: maxAge, serverName, locationPrefix };
}

export function checkFilePath(name: string, value: string): void {
  check(name, value, FILE_PATH, 'must be an absolute file path without spaces, quotes or $');
}

export function checkListen(name: string, value: string): void {
  check(name, value, LISTEN, 'must be [host:]port');
}

export function checkLogTarget(name: string, value: string): void {
  check(name, value, LOG_TARGET, 'must be stdout, stderr, host:port or an absolute socket path');
}
