// Test-only: a small estate (identity, tokens, a certificate from a real openssl CA) and a
// webhook receiver that counts calls and checks signatures.
import { randomBytes, X509Certificate, createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { fingerprintToken } from '../../credentials/fingerprint.ts';
import type { Database } from '../../db/open.ts';
import { verifyWebhook } from '../webhook-connector.ts';

export async function makeIdentity(db: Database, name = `svc-${randomBytes(4).toString('hex')}`) {
  return db.prisma.identity.create({ data: { name, kind: 'service' } });
}

export async function makeCertificate(db: Database, identityId: string, pem: string, caName: string) {
  const c = new X509Certificate(pem);
  return db.prisma.certificate.create({
    data: {
      x5tS256: createHash('sha256').update(c.raw).digest('base64url'),
      serial: c.serialNumber.toLowerCase(),
      subjectDn: c.subject,
      issuerDn: c.issuer,
      caName,
      identityId,
    },
  });
}

export async function makeToken(
  db: Database,
  identityId: string,
  opts: { raw?: string; issuer?: string; certificateId?: string; x5t?: string; binding?: 'bearer' | 'mtls' | 'dpop'; tokenType?: string } = {},
) {
  const raw = opts.raw ?? `raw-${randomBytes(12).toString('hex')}`;
  const token = await db.prisma.token.create({
    data: {
      fingerprint: fingerprintToken(raw),
      identityId,
      issuer: opts.issuer ?? 'https://as.example.test',
      binding: opts.binding ?? (opts.certificateId ? 'mtls' : 'bearer'),
      certificateId: opts.certificateId ?? null,
      cnfX5tS256: opts.x5t ?? null,
      tokenType: opts.tokenType ?? 'access',
    },
  });
  return { token, raw };
}

export interface WebhookReceiver {
  url: string;
  calls: { legId: string; body: Record<string, unknown>; signed: boolean }[];
  /** Status to answer next (default 200 with revoked: true). */
  mode: 'ok' | 'fail500' | 'hang' | 'unconfirmed';
  /** Delay before answering, to make calls overlap a kill. */
  delayMs: number;
  /** Legs (idempotency-key) answered 500 whatever the mode: one bad leg in a batch. */
  failLegIds: Set<string>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(secret: string): Promise<WebhookReceiver> {
  const sockets = new Set<Socket>();
  const state: WebhookReceiver = {
    url: '',
    calls: [],
    mode: 'ok',
    delayMs: 0,
    failLegIds: new Set(),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const signed = verifyWebhook(secret, { timestamp: String(req.headers['x-holdfast-timestamp'] ?? ''), signature: String(req.headers['x-holdfast-signature'] ?? '') }, body, Math.floor(Date.now() / 1000));
      state.calls.push({ legId: String(req.headers['idempotency-key'] ?? ''), body: JSON.parse(body) as Record<string, unknown>, signed });
      if (!signed) return void res.writeHead(401).end();
      if (state.mode === 'hang') return; // never answers: the caller's timeout must fire
      if (state.mode === 'fail500' || state.failLegIds.has(String(req.headers['idempotency-key'] ?? ''))) return void res.writeHead(500).end('{"error":"boom"}');
      const answer = () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ revoked: state.mode === 'ok' }));
      if (state.delayMs) setTimeout(answer, state.delayMs);
      else answer();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return state;
}
