// A JWT's payload read leniently, for logs: any three-segment value whose middle segment is
// base64url JSON of an object. Nothing is verified here; the binding engine's strict reading
// (canonical base64url, header checks) is lib/binding/classify-token.ts, for tokens it judges.
function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function decodeJwtClaims(token: string): Record<string, unknown> | null {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) return null;
  return decodeJwtPayload(parts[1]);
}

/** The claims of a JWT's payload segment alone (base64url JSON), or null. */
export function decodeJwtPayload(segment: string): Record<string, unknown> | null {
  if (!/^[A-Za-z0-9_-]+$/.test(segment)) return null;
  try {
    const v: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return isObject(v) ? v : null;
  } catch {
    return null;
  }
}
