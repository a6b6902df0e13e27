import { apiRoute } from '@/lib/http/route.ts';

export const GET = apiRoute({ permission: 'public' }, async ({ db }) => {
  await db.query('select 1');
  return { ok: true, database: db.kind };
});
