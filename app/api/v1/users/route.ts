import { z } from 'zod';
import { createUser } from '@/lib/auth/users.ts';
import { ROLES } from '@/lib/domain/types.ts';
import { apiRoute } from '@/lib/http/route.ts';

const body = z.object({ email: z.string().email().max(320), role: z.enum(ROLES as [string, ...string[]]), password: z.string().max(1024) });
const userOut = z.object({ id: z.string(), email: z.string(), role: z.string(), disabled: z.boolean().optional(), createdAt: z.date().optional() });

export const GET = apiRoute({ permission: 'admin' }, async ({ db }) => {
  const users = await db.prisma.user.findMany({ orderBy: { email: 'asc' }, select: { id: true, email: true, role: true, disabled: true, createdAt: true } });
  return { users: userOut.array().parse(users) };
});

export const POST = apiRoute({ permission: 'admin', body, maxBodyBytes: 8 * 1024 }, async ({ db, body, principal }) => {
  const u = await createUser(db, { email: body.email, role: body.role as (typeof ROLES)[number], password: body.password, actor: principal.label });
  return Response.json(userOut.parse(u), { status: 201 });
});
