// Test-only: certificates made by the real `openssl` CLI in a temporary directory.
import { execFileSync, execSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface OpensslPki {
  dir: string;
  run(args: string[]): string;
  /** Creates a self-signed CA; returns paths. */
  makeCa(name: string): { cert: string; key: string };
  /** Creates a leaf signed by the CA; returns its PEM path. */
  makeLeaf(name: string, ca: { cert: string; key: string }, days?: number): { cert: string; key: string };
  /** x5t#S256 computed by the exact shell pipeline from STANDARDS.md. */
  x5tByShell(certPath: string): string;
  /** Revokes `certPath` and writes a CRL signed by the CA; returns the CRL PEM path. */
  revokeAndGenCrl(ca: { cert: string; key: string }, certPath: string | null): string;
  read(path: string): string;
  cleanup(): void;
}

export function createPki(): OpensslPki {
  const dir = mkdtempSync(join(tmpdir(), 'holdfast-pki-'));
  const run = (args: string[]): string => execFileSync('openssl', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'crlnumber'), '01\n');
  writeFileSync(
    join(dir, 'ca.cnf'),
    `[ ca ]\ndefault_ca = CA_default\n[ CA_default ]\ndir = ${dir}\ndatabase = ${dir}/index.txt\ncrlnumber = ${dir}/crlnumber\ndefault_md = sha256\ndefault_crl_days = 30\n`,
  );
  return {
    dir,
    run,
    makeCa(name) {
      const key = join(dir, `${name}.key`);
      const cert = join(dir, `${name}.pem`);
      run([
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
        '-keyout', key, '-out', cert, '-days', '30', '-subj', `/CN=${name}`,
        '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
      ]);
      return { cert, key };
    },
    makeLeaf(name, ca, days = 30) {
      const key = join(dir, `${name}.key`);
      const csr = join(dir, `${name}.csr`);
      const cert = join(dir, `${name}.pem`);
      run(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${name}`]);
      run(['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-days', String(days), '-out', cert]);
      return { cert, key };
    },
    x5tByShell(certPath) {
      return execSync(
        `openssl x509 -in '${certPath}' -outform DER | openssl dgst -sha256 -binary | basenc --base64url | tr -d '='`,
        { encoding: 'utf8' },
      ).trim();
    },
    revokeAndGenCrl(ca, certPath) {
      if (certPath) run(['ca', '-config', join(dir, 'ca.cnf'), '-keyfile', ca.key, '-cert', ca.cert, '-revoke', certPath]);
      const out = join(dir, `crl-${Date.now()}-${Math.random().toString(36).slice(2)}.pem`);
      run(['ca', '-config', join(dir, 'ca.cnf'), '-keyfile', ca.key, '-cert', ca.cert, '-gencrl', '-out', out]);
      return out;
    },
    read(path) {
      return readFileSync(path, 'utf8');
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
