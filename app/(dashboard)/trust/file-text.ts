// How the browser sends a certificate or CRL file to /api/v1/trust-anchors: PEM as the text it
// is, DER (binary) as base64 — what lib/services/trust/schemas.ts fileBytes reads back.
export async function fileText(file: File): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 64 * 1024));
  if (head.includes('-----BEGIN ')) return new TextDecoder().decode(bytes);
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}
