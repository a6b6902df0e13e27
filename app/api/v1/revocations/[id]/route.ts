import { apiRoute } from '@/lib/http/route.ts';
import { revocationReceipts } from '@/lib/revocation/receipts.ts';
import { getRevocation } from '@/lib/revocation/revocation-queries.ts';

// The revocation with its receipts: per enforcement point that ever accepted each credential,
// the last acceptance before, what happened after, and "not seen since" (lib/revocation/receipts.ts).
export const GET = apiRoute<{ id: string }>({ permission: 'read' }, async ({ db, params }) => {
  const revocation = await getRevocation(db, params.id);
  return { ...revocation, receipts: await revocationReceipts(db, params.id) };
});
