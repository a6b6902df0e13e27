// A JWT's payload read leniently, for logs: any three-segment value whose middle segment is
// base64url JSON of an object. Nothing is verified here; the binding engine's strict reading
// (canonical base64url, header checks) is lib/binding/classify-token.ts, for tokens it judges.
function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function decodeJwtClaims(token: string): Record<string, unknown> | null {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) return null;
  try {
    const v: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    return isObject(v) ? v : null;
  } catch {
    return null;
  }
}
