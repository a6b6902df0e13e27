import { X509Certificate } from 'node:crypto';
import { BindingError, isBindingError } from './errors.ts';
import { classifyFingerprint, parseCertificate, parseX5tS256, x5tS256OfDer } from './certificate-thumbprint.ts';
import type { BindingCheck, MtlsFailureReason } from './types.ts';
import { peculiarX509 } from '../trust/peculiar-x509.ts';

/** What the request presented: a certificate, or only a fingerprint a gateway logged. */
export type PresentedCertificate =
  | { cert: string | Uint8Array }
  | { fingerprint: string };

export interface VerifyMtlsBindingInput {
  presented: PresentedCertificate;
  /** The token's `cnf["x5t#S256"]`; null/absent when unknown (binding check skipped). */
  expectedX5tS256?: string | null;
  /** Trust anchors (and intermediates) as PEM text; when set, the chain is checked. */
  caBundlePem?: string | null;
  /** CRLs (PEM or DER); when set, revocation is checked. Needs the issuer in caBundlePem. */
  crls?: ReadonlyArray<string | Uint8Array> | null;
}

export interface VerifyMtlsBindingDeps {
  /** Clock in milliseconds since the epoch. */
  now?: () => number;
}

export interface MtlsBindingVerification {
  ok: boolean;
  reason: MtlsFailureReason | null;
  /** Thumbprint of the presented certificate; null when only a SHA-1 fingerprint was given. */
  x5tS256: string | null;
  checks: BindingCheck[];
  /** Certificate facts (no key material). */
  certificate: { subject: string; issuer: string; serialNumber: string; validFrom: string; validTo: string } | null;
}

const CHECK_REASON: Record<string, MtlsFailureReason> = {
  certificate: 'malformed_certificate',
  comparable: 'fingerprint_not_comparable',
  cnf: 'x5t_mismatch',
  not_before: 'cert_not_yet_valid',
  not_after: 'cert_expired',
  chain: 'cert_untrusted',
  revocation: 'cert_revoked',
  revocation_status: 'revocation_unknown',
};

function splitPemBundle(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  const out: X509Certificate[] = [];
  for (const b of blocks) {
    try {
      out.push(new X509Certificate(b));
    } catch {
      throw new BindingError('certificate_invalid', 'CA bundle holds an unparseable certificate');
    }
  }
  if (out.length === 0) throw new BindingError('certificate_invalid', 'CA bundle holds no certificate');
  return out;
}

// Walks issuer links through the bundle (every bundle certificate is trusted, RFC 8705 §6.2
// leaves chain policy to the deployment). Depth-limited so a looping bundle cannot hang us.
function findChain(leaf: X509Certificate, bundle: X509Certificate[], atMs: number): X509Certificate | null {
  let current = leaf;
  for (let depth = 0; depth < 8; depth++) {
    const issuer = bundle.find((ca) => current.checkIssued(ca) && current.verify(ca.publicKey));
    if (!issuer) return null;
    const from = Date.parse(issuer.validFrom);
    const to = Date.parse(issuer.validTo);
    if (!(from <= atMs && atMs <= to)) return null;
    if (issuer.ca) return issuer;
    current = issuer;
  }
  return null;
}

/**
 * RFC 8705 binding check: the presented certificate's `x5t#S256` against the token's `cnf`,
 * then the certificate's validity window and, when configured, chain and CRL status — each a
 * distinct reason. A SHA-1 fingerprint (NGINX $ssl_client_fingerprint) is reported as not
 * comparable rather than guessed at.
 */
export async function verifyMtlsBinding(
  input: VerifyMtlsBindingInput,
  deps: VerifyMtlsBindingDeps = {},
): Promise<MtlsBindingVerification> {
  const nowMs = (deps.now ?? Date.now)();
  const checks: BindingCheck[] = [];
  let x5tS256: string | null = null;
  let certificate: MtlsBindingVerification['certificate'] = null;
  let x509: X509Certificate | null = null;

  const finish = (): MtlsBindingVerification => {
    const failed = checks.find((c) => !c.ok);
    const reason = failed ? (CHECK_REASON[failed.name] ?? 'malformed_certificate') : null;
    return { ok: !failed, reason, x5tS256, checks, certificate };
  };

  const presented: unknown = input?.presented;
  if (typeof presented !== 'object' || presented === null || !('cert' in presented || 'fingerprint' in presented)) {
    throw new BindingError('input_invalid', 'presented must be { cert } or { fingerprint }');
  }
  if ('cert' in input.presented) {
    try {
      const parsed = parseCertificate(input.presented.cert);
      x509 = parsed.x509;
      x5tS256 = x5tS256OfDer(parsed.der);
      certificate = {
        subject: x509.subject,
        issuer: x509.issuer,
        serialNumber: x509.serialNumber,
        validFrom: new Date(x509.validFrom).toISOString(),
        validTo: new Date(x509.validTo).toISOString(),
      };
      checks.push({ name: 'certificate', ok: true, detail: 'certificate parsed' });
    } catch (e) {
      checks.push({ name: 'certificate', ok: false, detail: isBindingError(e) ? e.message : 'certificate unreadable' });
      return finish();
    }
  } else {
    try {
      const fp = classifyFingerprint(input.presented.fingerprint);
      if (!fp.comparable) {
        checks.push({
          name: 'comparable',
          ok: false,
          detail: 'only a SHA-1 fingerprint was presented; it cannot be compared with cnf x5t#S256 (log the certificate or its SHA-256)',
        });
        return finish();
      }
      x5tS256 = fp.x5tS256;
      checks.push({ name: 'comparable', ok: true, detail: fp.kind === 'sha256_hex' ? 'hex SHA-256 converted to x5t#S256' : 'x5t#S256 given' });
    } catch (e) {
      checks.push({ name: 'certificate', ok: false, detail: isBindingError(e) ? e.message : 'fingerprint unreadable' });
      return finish();
    }
  }

  const expected = input.expectedX5tS256 ?? null;
  if (expected) {
    let ok = false;
    let detail: string;
    try {
      ok = parseX5tS256(expected) === x5tS256;
      detail = ok ? 'certificate thumbprint equals cnf x5t#S256' : 'certificate thumbprint differs from cnf x5t#S256';
    } catch (e) {
      detail = `cnf x5t#S256 unusable: ${isBindingError(e) ? e.message : 'invalid'}`;
    }
    checks.push({ name: 'cnf', ok, detail });
  } else {
    checks.push({ name: 'cnf', ok: true, skipped: true, detail: 'not checked: token cnf x5t#S256 unknown' });
  }

  if (x509) {
    const from = Date.parse(x509.validFrom);
    const to = Date.parse(x509.validTo);
    checks.push({ name: 'not_before', ok: from <= nowMs, detail: from <= nowMs ? `valid from ${new Date(from).toISOString()}` : `not valid before ${new Date(from).toISOString()}` });
    checks.push({ name: 'not_after', ok: nowMs <= to, detail: nowMs <= to ? `valid until ${new Date(to).toISOString()}` : `expired ${new Date(to).toISOString()}` });

    let issuer: X509Certificate | null = null;
    if (input.caBundlePem) {
      try {
        const bundle = splitPemBundle(input.caBundlePem);
        issuer = bundle.find((ca) => x509!.checkIssued(ca) && x509!.verify(ca.publicKey)) ?? null;
        const anchor = findChain(x509, bundle, nowMs);
        checks.push({ name: 'chain', ok: anchor !== null, detail: anchor ? `chains to ${anchor.subject.replace(/\n/g, ', ')}` : 'does not chain to a valid CA in the configured bundle' });
      } catch (e) {
        checks.push({ name: 'chain', ok: false, detail: isBindingError(e) ? e.message : 'chain check failed' });
      }
    } else {
      checks.push({ name: 'chain', ok: true, skipped: true, detail: 'not checked: no CA bundle configured' });
    }

    if (input.crls && input.crls.length > 0) {
      checks.push(await checkRevocation(x509, issuer, input.crls, nowMs));
    } else {
      checks.push({ name: 'revocation', ok: true, skipped: true, detail: 'not checked: no CRL configured' });
    }
  }
  return finish();
}

async function checkRevocation(
  cert: X509Certificate,
  issuer: X509Certificate | null,
  crls: ReadonlyArray<string | Uint8Array>,
  nowMs: number,
): Promise<BindingCheck> {
  if (!issuer) {
    return { name: 'revocation_status', ok: false, detail: 'CRL configured but the issuer is not in the CA bundle, so the CRL cannot be authenticated' };
  }
  // Loaded only when CRLs are configured: most callers never check revocation.
  const { X509Certificate: PeculiarCertificate, X509Crl } = await peculiarX509();
  let matched = false;
  for (const raw of crls) {
    let crl: InstanceType<typeof X509Crl>;
    try {
      crl = new X509Crl(typeof raw === 'string' ? raw : Buffer.from(raw));
    } catch {
      return { name: 'revocation_status', ok: false, detail: 'a configured CRL is unparseable' };
    }
    let signedByIssuer = false;
    try {
      signedByIssuer = await crl.verify({ publicKey: new PeculiarCertificate(issuer.raw) });
    } catch {
      signedByIssuer = false;
    }
    if (!signedByIssuer) continue;
    matched = true;
    if (crl.nextUpdate && crl.nextUpdate.getTime() < nowMs) {
      return { name: 'revocation_status', ok: false, detail: `the issuer's CRL is out of date (nextUpdate ${crl.nextUpdate.toISOString()})` };
    }
    const entry = crl.findRevoked(new PeculiarCertificate(cert.raw));
    if (entry) {
      return { name: 'revocation', ok: false, detail: `serial ${cert.serialNumber} revoked on ${entry.revocationDate.toISOString()}` };
    }
  }
  return matched
    ? { name: 'revocation', ok: true, detail: 'not on the issuer\'s CRL' }
    : { name: 'revocation_status', ok: false, detail: 'no configured CRL is signed by the certificate\'s issuer' };
}
