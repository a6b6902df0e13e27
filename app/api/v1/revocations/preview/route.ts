import { z } from 'zod';
import { apiRoute } from '@/lib/http/route.ts';
import { planRevocation } from '@/lib/revocation/request-revocation.ts';

const body = z.object({
  tokenIds: z.array(z.string().uuid()).max(5000).default([]),
  certificateIds: z.array(z.string().uuid()).max(5000).default([]),
  withCertificate: z.boolean().default(false),
});

// What a revocation would cover, for the confirmation dialog; changes nothing.
export const POST = apiRoute({ permission: 'revoke', body, maxBodyBytes: 512 * 1024 }, async ({ db, body }) => planRevocation(db, body));
