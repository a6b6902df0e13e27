import { apiRoute } from '@/lib/http/route.ts';
import { getCertificateDetail } from '@/lib/services/estate/certificate-detail.ts';
import { CertificateDetailSchema } from '@/lib/services/estate/schemas.ts';

export const GET = apiRoute<{ id: string }>({ permission: 'read', output: CertificateDetailSchema }, async ({ db, params }) => getCertificateDetail(db, params.id));
