// POST /api/v1/verify/dpop: every RFC 9449 check on one pasted proof, with a plain-language
// explanation. Pure: nothing is stored, no replay store (a re-check is not a replay), and the
// answer never contains the proof or the token (only the token's SHA-256 fingerprint).
import { apiRoute } from '@/lib/http/route.ts';
import { dpopVerdictOut, VERIFY_MAX_BODY_BYTES, verifyDpop, verifyDpopBody } from '@/lib/services/verify.ts';

export const POST = apiRoute({ permission: 'read', body: verifyDpopBody, output: dpopVerdictOut, maxBodyBytes: VERIFY_MAX_BODY_BYTES }, async ({ body }) => verifyDpop(body));
