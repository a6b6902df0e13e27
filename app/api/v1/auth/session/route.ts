import { permissionsOf } from '@/lib/auth/permissions.ts';
import { apiRoute } from '@/lib/http/route.ts';

export const GET = apiRoute({ permission: 'read' }, async ({ principal }) => ({
  kind: principal.kind,
  label: principal.label,
  role: principal.role,
  permissions: [...permissionsOf(principal)],
  csrfToken: principal.kind === 'user' ? principal.csrfSecret : null,
}));
