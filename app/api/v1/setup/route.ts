import { z } from 'zod';
import { completeSetup } from '@/lib/auth/bootstrap.ts';
import { apiRoute } from '@/lib/http/route.ts';

const body = z.object({ token: z.string().min(10).max(200), email: z.string().email().max(320), password: z.string().max(1024) });

export const POST = apiRoute({ permission: 'public', body, maxBodyBytes: 8 * 1024 }, async ({ db, body }) => {
  const user = await completeSetup(db, body.token, body.email, body.password);
  return { id: user.id, email: user.email, role: user.role };
});
