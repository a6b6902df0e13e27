// GET /api/v1/evidence/storage: what the evidence store keeps (retention, partitions, size, rows,
// oldest time held, next drop), the evidence holds, and the partitions retention dropped lately
// (from the audit log).
import { apiRoute } from '@/lib/http/route.ts';
import { evidenceStorage } from '@/lib/services/evidence/storage.ts';
import { EvidenceStorageSchema } from '@/lib/services/evidence/storage-schemas.ts';

export const GET = apiRoute({ permission: 'read', output: EvidenceStorageSchema }, async ({ db }) => evidenceStorage(db));
