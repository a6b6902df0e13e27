// The chain verdict over real gateway lines: a path is no better than any of its hops.
import { describe, expect, it } from 'vitest';
import { caddyParser } from '../ingest/formats/caddy.ts';
import { nginxJsonParser } from '../ingest/formats/nginx-json.ts';
import { createParseContext } from '../ingest/types.ts';
import type { NormalizedEvent } from '../domain/types.ts';
import { decideChain } from './decide-chain.ts';
import { hopVerdict } from './hop-verdict.ts';
import { TWO_PROOFS_CADDY_EDGE_LINE, TWO_PROOFS_NGINX_BACKEND_LINE } from './testing/two-proofs-lines.ts';
import type { HopObservation } from './types.ts';

function eventOf(r: ReturnType<typeof caddyParser.parseLine>): NormalizedEvent {
  if (r.kind !== 'event') throw new Error(`not an event: ${JSON.stringify(r)}`);
  return r.event;
}

describe('decideChain over real lines', () => {
  it('two DPoP proofs accepted at a Caddy edge: the chain verdict is the edge hop\'s bound_not_enforced, not the NGINX backend\'s ok', async () => {
    const edge = eventOf(caddyParser.parseLine(TWO_PROOFS_CADDY_EDGE_LINE, createParseContext()));
    const backend = eventOf(nginxJsonParser.parseLine(TWO_PROOFS_NGINX_BACKEND_LINE, createParseContext()));
    const hops: HopObservation[] = [];
    for (const [source, role, event] of [['caddy-edge', 'edge', edge], ['nginx-backend', 'backend', backend]] as const) {
      const d = await hopVerdict(event, null);
      hops.push({ source, role, event, verdict: { verdict: d.verdict, reason: d.reason } });
    }
    expect(hops.map((h) => [h.verdict!.verdict, h.verdict!.reason])).toEqual([['bound_not_enforced', 'multiple_proofs'], ['ok', 'htu_path_only']]);
    const chain = decideChain(hops);
    expect(chain.reason).toBe('no_client_certificate');
    expect(chain.chainVerdict).toBe('bound_not_enforced');
  });
});
