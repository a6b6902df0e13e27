// Test-only: the peer a webhook connector calls - checks the HMAC signature and timestamp the way a
// real receiver must, records every call, and can be told to fail, hang or answer late. Used by the
// revocation tests and the browser journeys (no database import, so Playwright can load it).
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { verifyWebhook } from '../webhook-connector.ts';

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
