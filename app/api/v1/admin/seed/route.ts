import { z } from 'zod';
import { appendAuditEntry } from '@/lib/audit/append-audit-entry.ts';
import { apiRoute } from '@/lib/http/route.ts';
import { seedDemo } from '@/lib/seed/seed-demo.ts';
import { evaluateFindings } from '@/lib/services/findings/index.ts';

const body = z.object({ seed: z.number().int().min(0).max(2 ** 31).default(42) });

export const POST = apiRoute({ permission: 'admin', body, maxBodyBytes: 1024 }, async ({ db, body, principal }) => {
  const now = new Date();
  const counts = await seedDemo(db, { seed: body.seed, now });
  await db.prisma.$transaction((tx) => appendAuditEntry(tx, { actor: principal.label, action: 'demo.seed', details: { seed: body.seed, ...counts } }));
  await evaluateFindings(db, { now, actor: principal.label });
  return counts;
});
