// GET/POST /api/v1/users (admin): local accounts and their creation. Role changes and
// disabling: PATCH /api/v1/users/{id}.
import { CreateUserBodySchema, UserOutSchema } from '@/lib/auth/access-schemas.ts';
import { createUser, listUsers } from '@/lib/auth/users.ts';
import type { Role } from '@/lib/domain/types.ts';
import { apiRoute } from '@/lib/http/route.ts';

export const GET = apiRoute({ permission: 'admin' }, async ({ db }) => ({ users: UserOutSchema.array().parse(await listUsers(db)) }));

export const POST = apiRoute({ permission: 'admin', body: CreateUserBodySchema, maxBodyBytes: 8 * 1024 }, async ({ db, body, principal }) => {
  const u = await createUser(db, { email: body.email, role: body.role as Role, password: body.password, actor: principal.label });
  const created = await db.prisma.user.findUniqueOrThrow({ where: { id: u.id }, select: { id: true, email: true, role: true, disabled: true, createdAt: true } });
  return Response.json(UserOutSchema.parse(created), { status: 201 });
});
