// Request and response schemas of /api/v1/trust-anchors, shared by the route handlers, the OpenAPI
// document and the CLI's --server mode, so none can drift. Files travel as PEM text or base64 DER.
import { z } from 'zod';
import { TrustInputError } from '../../trust/errors.ts';

/** PEM text, or the DER bytes in base64 (what a browser's FileReader or the CLI sends for a binary file). */
const FileText = z.string().min(1).max(8 * 1024 * 1024);

export const AddTrustAnchorBodySchema = z.object({
  /** The CA certificate: PEM, or base64 DER. */
  ca: FileText,
  /** Its CRL: PEM (`X509 CRL`), or base64 DER. */
  crl: FileText.nullish(),
});

export const AddCrlBodySchema = z.object({ crl: FileText });

/** The bytes of a file sent as PEM text or base64 DER; refused (422, naming the field) when it is neither. */
export function fileBytes(text: string, field: string): Buffer {
  if (text.includes('-----BEGIN ')) return Buffer.from(text, 'utf8');
  const b64 = text.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) && !/^[A-Za-z0-9_-]+$/.test(b64)) {
    throw new TrustInputError('not_der_or_pem', `${field} is neither PEM text nor base64 of a DER file`, field);
  }
  return Buffer.from(b64, b64.includes('-') || b64.includes('_') ? 'base64url' : 'base64');
}

/** How a file is put in a request body: PEM as it is, anything else as base64. */
export function fileText(bytes: Uint8Array): string {
  const head = Buffer.from(bytes.subarray(0, 64 * 1024)).toString('latin1');
  return head.includes('-----BEGIN ') ? Buffer.from(bytes).toString('utf8') : Buffer.from(bytes).toString('base64');
}

const CrlViewSchema = z.object({
  number: z.string().nullable(),
  thisUpdate: z.string(),
  nextUpdate: z.string().nullable(),
  stale: z.boolean(),
  entries: z.number().int(),
  sha256: z.string(),
  addedAt: z.string(),
  addedBy: z.string(),
});

export const TrustAnchorSchema = z.object({
  id: z.string(),
  subject: z.string(),
  issuer: z.string(),
  x5tS256: z.string(),
  serial: z.string(),
  notBefore: z.string(),
  notAfter: z.string(),
  createdAt: z.string(),
  createdBy: z.string(),
  crl: CrlViewSchema.nullable(),
  warnings: z.array(z.string()),
});

export const TrustAddResultSchema = z.object({
  id: z.string(),
  created: z.boolean(),
  ca: z.object({ subject: z.string(), x5tS256: z.string(), issuer: z.string(), notBefore: z.string(), notAfter: z.string() }),
  crlEntries: z.number().int(),
  crlChange: z.enum(['added', 'replaced', 'unchanged']).nullable(),
  crl: CrlViewSchema.nullable(),
  warnings: z.array(z.string()),
});

export const TrustAnchorListSchema = z.object({ trustAnchors: TrustAnchorSchema.array() });

export const TrustAnchorRemovedSchema = z.object({ id: z.string(), removed: z.literal(true), subject: z.string(), x5tS256: z.string() });
