// PATCH /api/v1/users/{id} (admin): { role?, disabled? }. A role change or disabling ends every
// session of the user at once; a change that would leave no enabled admin is a 409. Audited.
import { UpdateUserBodySchema, UserOutSchema } from '@/lib/auth/access-schemas.ts';
import { updateUser } from '@/lib/auth/users.ts';
import type { Role } from '@/lib/domain/types.ts';
import { apiRoute } from '@/lib/http/route.ts';

export const PATCH = apiRoute<{ id: string }, { role?: string; disabled?: boolean }>(
  { permission: 'admin', body: UpdateUserBodySchema, output: UserOutSchema, maxBodyBytes: 1024 },
  async ({ db, params, body, principal }) => updateUser(db, params.id, { role: body.role as Role | undefined, disabled: body.disabled }, principal.label),
);
