// Public CRL distribution point for CAs whose CRL Holdfast publishes: `/crl/<ca>.crl` (DER,
// application/pkix-crl, RFC 5280 §4.2.1.13) and `/crl/<ca>.pem` (PEM, label `X509 CRL`, what
// NGINX's ssl_crl reads). No authentication: gateways fetch it, and a CRL is public by design.
import { HoldfastError } from '@/lib/errors.ts';
import { errorToProblem } from '@/lib/http/problem.ts';
import { currentCrl } from '@/lib/revocation/current-crl.ts';
import { getDatabase } from '@/lib/server/database.ts';
import { getSecretKey } from '@/lib/server/secret-key.ts';

export async function GET(_req: Request, ctx: { params: Promise<{ ca: string }> }): Promise<Response> {
  try {
    const { ca } = await ctx.params;
    const m = /^([A-Za-z0-9._-]{1,100})\.(crl|pem)$/.exec(ca);
    if (!m) throw new HoldfastError('not_found', 'no such CRL (use /crl/<ca>.crl or /crl/<ca>.pem)');
    const crl = await currentCrl(await getDatabase(), getSecretKey(), m[1]!, new Date());
    if (!crl) throw new HoldfastError('not_found', `no CRL is published for CA ${m[1]}`);
    const headers = {
      'cache-control': `public, max-age=${Math.max(0, Math.min(3600, Math.floor((Date.parse(crl.nextUpdate) - Date.now()) / 2000)))}`,
      'last-modified': new Date(crl.thisUpdate).toUTCString(),
    };
    if (m[2] === 'pem') return new Response(crl.pem, { headers: { ...headers, 'content-type': 'application/x-pem-file' } });
    const der = Buffer.from(crl.pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
    return new Response(der, { headers: { ...headers, 'content-type': 'application/pkix-crl' } });
  } catch (e) {
    return errorToProblem(e);
  }
}
