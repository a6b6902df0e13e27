// Reading a file a user hands Holdfast as a CA certificate or a CRL: PEM (any number of blocks,
// labels checked) or DER. A private key in the file is refused outright — Holdfast must never
// hold one, and a CA's key next to its certificate is a mistake worth saying out loud.
import { TrustInputError } from './errors.ts';

export interface PemBlock {
  label: string;
  der: Buffer;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/** Whether the bytes are PEM text (else they are taken as DER). */
export function looksLikePem(bytes: Uint8Array): boolean {
  const head = Buffer.from(bytes.subarray(0, Math.min(bytes.length, 64 * 1024))).toString('latin1');
  return head.includes('-----BEGIN ');
}

/** Every PEM block; a private key anywhere refuses the whole file. */
export function pemBlocks(text: string, what: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const m of text.matchAll(PEM_BLOCK)) {
    const label = m[1]!;
    if (/PRIVATE KEY/.test(label)) throw new TrustInputError('private_key', `${what} holds a private key (${label}); give the public certificate or CRL only — Holdfast never stores private keys`);
    blocks.push({ label, der: Buffer.from(m[2]!.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64') });
  }
  if (/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(text)) throw new TrustInputError('private_key', `${what} holds a private key; give the public certificate or CRL only — Holdfast never stores private keys`);
  return blocks;
}

/**
 * The one DER object of the kind wanted: the only block with one of `labels`, or the bytes
 * themselves when they are not PEM. Several such blocks are refused (which one was meant?).
 */
export function singleDer(input: Uint8Array, labels: readonly string[], what: string): Buffer {
  if (input.length === 0) throw new TrustInputError('empty', `${what} is empty`);
  if (!looksLikePem(input)) {
    // DER: a SEQUENCE. Anything else is not an X.509 object (or is text without a PEM block).
    if (input[0] !== 0x30) throw new TrustInputError('not_der_or_pem', `${what} is neither PEM (no -----BEGIN line) nor DER`);
    return Buffer.from(input);
  }
  const blocks = pemBlocks(Buffer.from(input).toString('latin1'), what);
  const wanted = blocks.filter((b) => labels.includes(b.label));
  if (wanted.length === 0) {
    const seen = blocks.length ? blocks.map((b) => b.label).join(', ') : 'none';
    throw new TrustInputError('wrong_pem_label', `${what} has no ${labels.map((l) => `"${l}"`).join(' or ')} PEM block (found: ${seen})`);
  }
  if (wanted.length > 1) throw new TrustInputError('several_objects', `${what} holds ${wanted.length} ${labels[0]} blocks; give one at a time`);
  return wanted[0]!.der;
}

/** PEM text of DER bytes, 64 columns. */
export function toPem(der: Uint8Array, label: string): string {
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}
