// The batch's warnings about forwarded client certificates: believed from any peer (no trusted
// proxies on the source, or no source), or not checkable (the log gives no TCP peer).
import { describe, expect, it } from 'vitest';
import { forwardedPeerWarnings } from './pipeline.ts';

describe('forwardedPeerWarnings', () => {
  it('says nothing when every forwarded certificate was judged by its peer', () => {
    expect(forwardedPeerWarnings({ trusted: 3, untrusted: 1 }, 'be')).toEqual([]);
  });

  it('names the source and the peers seen when no trusted proxies are set', () => {
    expect(forwardedPeerWarnings({ unset: 1 }, 'be', new Set(['10.0.0.9', '10.0.0.1']))).toEqual([
      '1 line of source be carries a forwarded client certificate (from TCP peers 10.0.0.1, 10.0.0.9): forwarded certificate headers are believed from any peer: set the trusted proxies of the source (the edge addresses that may forward a client certificate), so that a forged header sent straight to the backend reads spoofed_client_cert',
    ]);
  });

  it('without a source, says to ingest with one; lines without a peer are named apart', () => {
    const w = forwardedPeerWarnings({ unset: 2 }, null);
    expect(w[0]).toMatch(/^2 lines of this batch \(no source: ingest with --source and set its trusted proxies\) carry a forwarded client certificate: /);
    expect(forwardedPeerWarnings({ unknown: 4, trusted: 1 }, 'be')).toEqual([
      "4 lines carry a forwarded client certificate but their log gives no TCP peer address (or only one a proxy header rewrote), so the source's trusted proxies cannot be applied to them: log $realip_remote_addr (NGINX), %{c}a (Apache), %ci (HAProxy) or remote_ip (Caddy)",
    ]);
  });
});
