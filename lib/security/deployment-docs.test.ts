// docs/DEPLOYMENT.md's reverse-proxy configuration is what operators copy: the real NGINX must
// accept it as written (`nginx -t`), with only its TLS files swapped for a throwaway openssl key
// pair and the listener moved to loopback. It must also send the ingest API to the ingest tier.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findNginx, REPO_ROOT } from '../testing/processes.ts';

const NGINX = findNginx();
const IN_CI = process.env.CI === 'true';
if (!NGINX && !IN_CI) console.warn('deployment-docs.test.ts: skipped — nginx is not installed (apt-get install -y nginx)');
const describeNginx = NGINX || IN_CI ? describe : describe.skip;

const doc = readFileSync(path.join(REPO_ROOT, 'docs', 'DEPLOYMENT.md'), 'utf8');
const nginxBlocks = [...doc.matchAll(/```nginx\n([\s\S]*?)```/g)].map((m) => m[1]!);

describeNginx('docs/DEPLOYMENT.md', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'holdfast-deploy-doc-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('has an NGINX configuration that nginx -t accepts, and it sends /api/v1/ingest to the ingest tier', () => {
    expect(nginxBlocks).toHaveLength(1);
    const block = nginxBlocks[0]!;
    expect(block).toMatch(/location \/api\/v1\/ingest \{(?:(?!location)[\s\S])*?proxy_pass http:\/\/holdfast_ingest;/);
    expect(block).toMatch(/upstream holdfast_ingest \{[^}]*server 127\.0\.0\.1:3101/);
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', path.join(dir, 'privkey.pem'), '-out', path.join(dir, 'fullchain.pem'), '-subj', '/CN=holdfast.test', '-days', '1'], { stdio: 'ignore' });
    copyFileSync(path.join(dir, 'fullchain.pem'), path.join(dir, 'gateway-ca.pem'));
    // `http2 on;` needs NGINX >= 1.25.1 (the doc says what to write on older ones, e.g. Debian 12's 1.22).
    const version = /nginx\/(\d+)\.(\d+)\.(\d+)/.exec(spawnSync(NGINX!, ['-v'], { encoding: 'utf8' }).stderr)!.slice(1).map(Number) as [number, number, number];
    const modern = version[0] > 1 || version[1] > 25 || (version[1] === 25 && version[2] >= 1);
    let server = block.replaceAll('/etc/ssl/holdfast', dir).replace(/listen 443 ssl;/, 'listen 127.0.0.1:18443 ssl;');
    if (!modern) server = server.replace(/^\s*http2 on;.*$/m, '');
    const conf = path.join(dir, 'nginx.conf');
    writeFileSync(conf, `pid ${dir}/nginx.pid;\nerror_log ${dir}/error.log;\nevents {}\nhttp {\naccess_log off;\n${server}\n}\n`);
    const r = spawnSync(NGINX!, ['-t', '-p', dir, '-e', path.join(dir, 'error.log'), '-c', conf], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('test is successful');
  });
});
