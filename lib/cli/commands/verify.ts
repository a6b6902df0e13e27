// Binding checks: verify dpop, verify mtls, thumbprint. Pure verbs: they never open the
// database. With --server/--api-key, `verify` goes through POST /api/v1/verify/* (same output);
// `thumbprint` is arithmetic on its input, so it is always computed here.
import { readFileSync } from 'node:fs';
import type { DpopVerdict, MtlsVerdict, VerifyDpopBody, VerifyMtlsBody } from '../../services/verify.ts';
import type { Command, CommandContext } from '../command.ts';
import { CheckFailed, emit, UsageError } from '../io.ts';
import { callApi } from '../remote.ts';

// JOSE and X.509 load when a check runs (lib/cli/main.ts: a command loads only its own code).
const binding = () => import('../../binding/index.ts');
const verifier = () => import('../../services/verify.ts');

function required(ctx: CommandContext, name: string, usage: string): string {
  const v = ctx.values[name];
  if (typeof v !== 'string' || v.trim() === '') throw new UsageError(`--${name} is required (usage: ${usage})`);
  return v;
}

function optional(ctx: CommandContext, name: string): string | null {
  const v = ctx.values[name];
  if (v === undefined) return null;
  if (typeof v !== 'string' || v.trim() === '') throw new UsageError(`--${name} must not be empty`);
  return v;
}

function noPositionals(ctx: CommandContext, usage: string): void {
  if (ctx.positionals.length) throw new UsageError(`unexpected argument "${ctx.positionals[0]!.slice(0, 40)}" (usage: ${usage})`);
}

/** Reads a certificate file (PEM, URL-encoded PEM or DER) and returns it as PEM text; exit 2 when it is not one. */
async function readCertificateFile(file: string): Promise<string> {
  const { isBindingError, parseCertificate } = await binding();
  const { derToPem } = await import('../../credentials/certificate.ts');
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read --cert ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (code ?? 'unreadable')}`);
  }
  try {
    return derToPem(parseCertificate(bytes).der);
  } catch (e) {
    if (isBindingError(e)) throw new UsageError(`--cert ${file} is not a certificate: ${e.message}`);
    throw e;
  }
}

function checkLines(checks: DpopVerdict['checks']): string[] {
  const width = Math.max(0, ...checks.map((c) => c.name.length));
  return checks.map((c) => `  ${c.skipped ? '–' : c.ok ? '✓' : '✗'} ${c.name.padEnd(width)}  ${c.detail}`);
}

const DPOP_USAGE = 'holdfast verify dpop --proof P --method M --url U [--token T] [--jkt J] [--nonce N] [--now UNIX_SECONDS] [--json]';

export const verifyDpopCommand: Command = {
  name: 'verify dpop',
  summary: 'check a DPoP proof against every RFC 9449 rule',
  usage: DPOP_USAGE,
  options: {
    proof: { type: 'string' },
    method: { type: 'string' },
    url: { type: 'string' },
    token: { type: 'string' },
    jkt: { type: 'string' },
    nonce: { type: 'string' },
    now: { type: 'string' },
  },
  async run(ctx) {
    noPositionals(ctx, DPOP_USAGE);
    const proof = required(ctx, 'proof', DPOP_USAGE);
    const method = required(ctx, 'method', DPOP_USAGE);
    const url = required(ctx, 'url', DPOP_USAGE);
    const nowRaw = optional(ctx, 'now');
    const now = nowRaw === null ? null : Number(nowRaw);
    if (now !== null && (!/^\d+(\.\d+)?$/.test(nowRaw!) || !Number.isFinite(now))) throw new UsageError('--now must be a time in seconds since the epoch, such as 1562262616');
    const body: VerifyDpopBody = { proof, method, url, token: optional(ctx, 'token'), jkt: optional(ctx, 'jkt'), nonce: optional(ctx, 'nonce'), now };
    const { dpopVerdictOut, verifyDpop } = await verifier();
    const r = ctx.remote ? dpopVerdictOut.parse(await callApi<DpopVerdict>(ctx.remote, 'POST', '/api/v1/verify/dpop', body)) : await verifyDpop(body);
    emit(ctx.io, r, () =>
      [
        r.ok ? '✓ DPoP proof verifies' : `✗ DPoP proof fails: ${r.reason}${r.rfcError ? ` (${r.rfcError})` : ''}`,
        // What was not checked belongs to the verdict: a pass with jti unchecked also passes a replay.
        ...(r.notChecked.length ? [`  not checked: ${r.notChecked.map((c) => `${c.name} (${c.detail})`).join('; ')}`] : []),
        `jkt ${r.jkt || '—'}`,
        ...checkLines(r.checks),
        r.explanation,
      ].join('\n'),
    );
    if (!r.ok) throw new CheckFailed(`DPoP proof fails: ${r.reason}`);
  },
};

const MTLS_USAGE = 'holdfast verify mtls --cert FILE [--token T] [--x5t X] [--json]';

export const verifyMtlsCommand: Command = {
  name: 'verify mtls',
  summary: "check a client certificate against a token's cnf x5t#S256 (RFC 8705)",
  usage: MTLS_USAGE,
  options: { cert: { type: 'string' }, token: { type: 'string' }, x5t: { type: 'string' } },
  async run(ctx) {
    noPositionals(ctx, MTLS_USAGE);
    const cert = await readCertificateFile(required(ctx, 'cert', MTLS_USAGE));
    const body: VerifyMtlsBody = { cert, token: optional(ctx, 'token'), x5t: optional(ctx, 'x5t') };
    const { mtlsVerdictOut, verifyMtls } = await verifier();
    const r: MtlsVerdict = ctx.remote ? mtlsVerdictOut.parse(await callApi<MtlsVerdict>(ctx.remote, 'POST', '/api/v1/verify/mtls', body)) : await verifyMtls(body);
    emit(ctx.io, r, () =>
      [
        r.ok ? '✓ certificate binding verifies' : `✗ certificate binding fails: ${r.reason}`,
        ...(r.notChecked.length ? [`  not checked: ${r.notChecked.map((c) => `${c.name} (${c.detail})`).join('; ')}`] : []),
        `x5t#S256 ${r.x5tS256 || '—'}`,
        ...checkLines(r.checks),
        r.explanation,
      ].join('\n'),
    );
    if (!r.ok) throw new CheckFailed(`certificate binding fails: ${r.reason}`);
  },
};

const THUMBPRINT_USAGE = 'holdfast thumbprint --jwk JSON | --cert FILE [--json]';

export const thumbprintCommand: Command = {
  name: 'thumbprint',
  summary: 'RFC 7638 jkt of a JWK, or x5t#S256 of a certificate',
  usage: THUMBPRINT_USAGE,
  options: { jwk: { type: 'string' }, cert: { type: 'string' } },
  async run(ctx) {
    noPositionals(ctx, THUMBPRINT_USAGE);
    const jwk = optional(ctx, 'jwk');
    const certFile = optional(ctx, 'cert');
    if ((jwk === null) === (certFile === null)) throw new UsageError(`give exactly one of --jwk JSON or --cert FILE (usage: ${THUMBPRINT_USAGE})`);
    const { isBindingError, thumbprintCert, thumbprintJwk } = await binding();
    if (jwk !== null) {
      let r: { jkt: string };
      try {
        r = thumbprintJwk(jwk);
      } catch (e) {
        if (isBindingError(e)) throw new UsageError(`--jwk: ${e.message}`);
        throw e;
      }
      emit(ctx.io, { jkt: r.jkt }, () => r.jkt);
      return;
    }
    const r = thumbprintCert(await readCertificateFile(certFile!));
    emit(ctx.io, { x5tS256: r.x5tS256 }, () => r.x5tS256);
  },
};

export const verifyCommands: Command[] = [verifyDpopCommand, verifyMtlsCommand, thumbprintCommand];
