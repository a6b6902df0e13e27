// The configuration the forwarded_cert_from_untrusted_peer finding recommends, on the real gateways:
// NGINX (geo/map on $realip_remote_addr), Apache (RequestHeader unset … unless the proxy) and HAProxy
// (del-header unless { src }) each keep the Client-Cert header of the proxy (127.0.0.1) and drop a
// thief's (127.0.0.2, straight to the gateway). Each gateway without the snippet passes both on (the
// control), so the snippet is what makes the difference.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UNTRUSTED_PEER_FIXES } from '../../risk/words.ts';
import { findApache, startApache } from '../../testing/apache-launch.ts';
import { findHaproxy, HAPROXY_TEST_HEAD, startHaproxy } from '../../testing/haproxy-launch.ts';
import { startNginx } from '../../testing/nginx-launch.ts';
import { findNginx, freePort } from '../../testing/processes.ts';

const NGINX = findNginx();
const HAPROXY = findHaproxy();
const APACHE = findApache();
const IN_CI = process.env.CI === 'true';
if ((!NGINX || !HAPROXY || !APACHE) && !IN_CI) console.warn('untrusted-peer-fix-real.test.ts: skipped — needs nginx, haproxy and apache2; set CI=true to make this a failure');

const PROXY = '127.0.0.1';
const THIEF = '127.0.0.2';
const HEADER = ':Zm9yZ2Vk:';
const fix = (s: string) => s.replaceAll('<proxy>', PROXY);

/** One request from `from` to 127.0.0.1:port with a Client-Cert; the body. */
function send(port: number, from: string, path = '/'): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, localAddress: from, headers: { 'Client-Cert': HEADER }, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
}

type Gateway = 'nginx' | 'apache' | 'haproxy';
type Seen = Record<'fixed' | 'plain', Record<'proxy' | 'thief', boolean>>;

((NGINX && HAPROXY && APACHE) || IN_CI ? describe : describe.skip)('the recommended fixes keep the proxy\'s Client-Cert and drop a thief\'s (real NGINX, Apache, HAProxy)', () => {
  let dir = '';
  const seen = {} as Record<Gateway, Seen>;

  beforeAll(async () => {
    if (!NGINX || !HAPROXY || !APACHE) throw new Error('CI=true but nginx, haproxy or apache2 is not installed');
    dir = mkdtempSync(join(tmpdir(), 'holdfast-peer-fix-'));
    const p = { nginxFixed: await freePort(), nginxPlain: await freePort(), echo: await freePort(), apacheFixed: await freePort(), apachePlain: await freePort(), haFixed: await freePort(), haPlain: await freePort() };
    // NGINX: the recommended $client_cert, and $http_client_cert as it is without the fix; an echo server behind HAProxy.
    const nginx = await startNginx(NGINX, dir, 'nginx', `${UNTRUSTED_PEER_FIXES.nginx.map(fix).join('\n')}
server { listen 127.0.0.1:${p.nginxFixed}; location / { return 200 "[$client_cert]"; } }
server { listen 127.0.0.1:${p.nginxPlain}; location / { return 200 "[$http_client_cert]"; } }
server { listen 127.0.0.1:${p.echo}; location / { return 200 "[$http_client_cert]"; } }`, [p.nginxFixed, p.nginxPlain, p.echo]);
    // Apache: the header as the request handling sees it, logged per virtual host.
    writeFileSync(join(dir, 'index.html'), 'ok');
    const apache = await startApache(APACHE, dir, `LogFormat "%{c}a %p [%{Client-Cert}i]" seen
CustomLog ${dir}/apache-seen.log seen
<Directory ${dir}>
  Require all granted
</Directory>
<VirtualHost 127.0.0.1:${p.apacheFixed}>
  ${fix(UNTRUSTED_PEER_FIXES.apache)}
</VirtualHost>
<VirtualHost 127.0.0.1:${p.apachePlain}>
</VirtualHost>`, [p.apacheFixed, p.apachePlain]);
    const haproxy = await startHaproxy(HAPROXY, dir, 'haproxy', `${HAPROXY_TEST_HEAD}frontend fixed
  bind 127.0.0.1:${p.haFixed}
  ${fix(UNTRUSTED_PEER_FIXES.haproxy)}
  default_backend echo
frontend plain
  bind 127.0.0.1:${p.haPlain}
  default_backend echo
backend echo
  server echo 127.0.0.1:${p.echo}
`, [p.haFixed, p.haPlain]);
    const has = (body: string) => body.includes(HEADER);
    for (const [g, fixed, plain] of [['nginx', p.nginxFixed, p.nginxPlain], ['haproxy', p.haFixed, p.haPlain]] as const) {
      seen[g] = {
        fixed: { proxy: has(await send(fixed, PROXY)), thief: has(await send(fixed, THIEF)) },
        plain: { proxy: has(await send(plain, PROXY)), thief: has(await send(plain, THIEF)) },
      };
    }
    for (const port of [p.apacheFixed, p.apachePlain]) for (const from of [PROXY, THIEF]) await send(port, from, '/index.html');
    for (const x of [haproxy, apache, nginx]) await x.stop();
    const log = existsSync(join(dir, 'apache-seen.log')) ? readFileSync(join(dir, 'apache-seen.log'), 'utf8') : '';
    const apacheSaw = (port: number, from: string) => log.split('\n').some((l) => l === `${from} ${port} [${HEADER}]`);
    seen.apache = {
      fixed: { proxy: apacheSaw(p.apacheFixed, PROXY), thief: apacheSaw(p.apacheFixed, THIEF) },
      plain: { proxy: apacheSaw(p.apachePlain, PROXY), thief: apacheSaw(p.apachePlain, THIEF) },
    };
  }, 120_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.each(['nginx', 'apache', 'haproxy'] as const)('%s: with the fix the proxy\'s header gets through and the thief\'s does not; without it both do', (g) => {
    expect(seen[g]).toEqual({ fixed: { proxy: true, thief: false }, plain: { proxy: true, thief: true } });
  });
});
