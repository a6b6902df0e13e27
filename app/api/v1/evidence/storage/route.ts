// GET /api/v1/evidence/storage: what the evidence store keeps (retention, partitions, size, rows,
// oldest time held, next drop) and the partitions retention dropped lately (from the audit log).
import { apiRoute } from '@/lib/http/route.ts';
import { evidenceStorage } from '@/lib/services/evidence/storage.ts';

export const GET = apiRoute({ permission: 'read' }, async ({ db }) => evidenceStorage(db));
