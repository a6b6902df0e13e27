// POST /api/v1/verify/mtls: a presented client certificate (PEM, URL-encoded PEM) or logged
// fingerprint (Envoy hex SHA-256) against the token's cnf x5t#S256 (RFC 8705), plus the
// certificate's validity window. Pure: nothing is stored and the token is never echoed.
import { apiRoute } from '@/lib/http/route.ts';
import { mtlsVerdictOut, VERIFY_MAX_BODY_BYTES, verifyMtls, verifyMtlsBody } from '@/lib/services/verify.ts';

export const POST = apiRoute({ permission: 'read', body: verifyMtlsBody, output: mtlsVerdictOut, maxBodyBytes: VERIFY_MAX_BODY_BYTES }, async ({ body }) => verifyMtls(body));
