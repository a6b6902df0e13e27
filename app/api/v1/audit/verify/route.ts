import { verifyAuditChain } from '@/lib/audit/verify-audit-chain.ts';
import { apiRoute } from '@/lib/http/route.ts';

export const GET = apiRoute({ permission: 'admin' }, async ({ db }) => verifyAuditChain(db));
