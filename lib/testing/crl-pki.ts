// Test-only: certificate authorities made by the real openssl for trust-anchor and CRL tests —
// EC or RSA, with or without cRLSign, certificates issued and revoked with a reason, CRLs in PEM
// (`X509 CRL`, as `openssl ca -gencrl` writes it) or DER. Revocation times can be set by editing
// the CA database the way `openssl ca` writes it, so "revoked after the request" can be tested.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CA_CNF } from './gateway-pki.ts';

export interface TestCa {
  name: string;
  dir: string;
  certPath: string;
  keyPath: string;
  /** RFC 2253 subject as openssl prints it. */
  subject: string;
}

export interface TestLeaf {
  certPath: string;
  keyPath: string;
  pem: string;
  /** Upper-case hex, as openssl prints it. */
  serialHex: string;
  subject: string;
  issuer: string;
}

const ossl = (cwd: string, ...args: string[]) => execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] }).toString();

/** gateway-pki's CA configuration plus CA certificate profiles with and without cRLSign. */
function caConfig(dir: string): string {
  return `${CA_CNF(dir)}[ ca_ext ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[ ca_ext_no_crlsign ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign
subjectKeyIdentifier = hash
`;
}

export interface CaOptions {
  /** `/CN=…/O=…` as openssl -subj takes it. */
  subj: string;
  key?: 'ec' | 'rsa';
  /** false: keyUsage without cRLSign. */
  crlSign?: boolean;
  /** First serial (hex) of the certificates it issues. */
  firstSerial?: string;
}

/** A self-signed CA in `root/name`, with its own openssl CA database. */
export function makeCa(root: string, name: string, o: CaOptions): TestCa {
  const dir = join(root, name);
  mkdirSync(join(dir, 'newcerts'), { recursive: true });
  writeFileSync(join(dir, 'ca.cnf'), caConfig(dir));
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), `${o.firstSerial ?? '1000'}\n`);
  writeFileSync(join(dir, 'crlnumber'), '01\n');
  const key = o.key === 'rsa' ? ['-newkey', 'rsa:2048', '-nodes'] : ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  const ext = o.crlSign === false ? 'ca_ext_no_crlsign' : 'ca_ext';
  ossl(dir, 'req', '-x509', ...key, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '30', '-subj', o.subj, '-config', 'ca.cnf', '-extensions', ext);
  const subject = ossl(dir, 'x509', '-in', 'ca.crt', '-noout', '-subject', '-nameopt', 'RFC2253').trim().replace(/^subject=/, '');
  return { name, dir, certPath: join(dir, 'ca.crt'), keyPath: join(dir, 'ca.key'), subject };
}

/** openssl ca's time format (UTCTime): YYMMDDHHMMSSZ. */
const utcTime = (d: Date) => d.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z';

/**
 * A client certificate issued by the CA (`openssl ca`, so the CA database knows it), valid from
 * two days ago: requests logged in the last hours must not look as if they came before it.
 */
export function issueLeaf(ca: TestCa, file: string, subj: string): TestLeaf {
  const d = ca.dir;
  ossl(d, 'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${file}.key`, '-out', `${file}.csr`, '-subj', subj);
  ossl(d, 'ca', '-batch', '-config', 'ca.cnf', '-extensions', 'client_ext', '-in', `${file}.csr`, '-out', `${file}.crt`, '-startdate', utcTime(new Date(Date.now() - 2 * 86_400_000)));
  const certPath = join(d, `${file}.crt`);
  const pem = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n?/.exec(readFileSync(certPath, 'utf8'))![0];
  writeFileSync(certPath, pem);
  return {
    certPath,
    keyPath: join(d, `${file}.key`),
    pem,
    serialHex: ossl(d, 'x509', '-in', certPath, '-noout', '-serial').trim().replace(/^serial=/, '').toUpperCase(),
    subject: ossl(d, 'x509', '-in', certPath, '-noout', '-subject', '-nameopt', 'RFC2253').trim().replace(/^subject=/, ''),
    issuer: ossl(d, 'x509', '-in', certPath, '-noout', '-issuer', '-nameopt', 'RFC2253').trim().replace(/^issuer=/, ''),
  };
}

/** `openssl ca -revoke` with a CRL reason (keyCompromise, superseded, …, or none). */
export function revokeLeaf(ca: TestCa, leaf: TestLeaf, reason?: string): void {
  ossl(ca.dir, 'ca', '-batch', '-config', 'ca.cnf', '-revoke', leaf.certPath, ...(reason ? ['-crl_reason', reason] : []));
}

/** Sets the revocation time of a revoked serial in the CA database (`openssl ca` has no option for it). */
export function setRevocationTime(ca: TestCa, serialHex: string, at: Date): void {
  const file = join(ca.dir, 'index.txt');
  const stamp = utcTime(at);
  const lines = readFileSync(file, 'utf8').split('\n').map((l) => {
    const f = l.split('\t');
    if (f[0] !== 'R' || f[3]?.toUpperCase() !== serialHex.toUpperCase()) return l;
    const reason = f[2]!.includes(',') ? f[2]!.slice(f[2]!.indexOf(',')) : '';
    f[2] = stamp + reason;
    return f.join('\t');
  });
  writeFileSync(file, lines.join('\n'));
}

/** A CRL of everything the CA database marks revoked: PEM (`X509 CRL`) or DER; returns its path. */
export function generateCrl(ca: TestCa, file: string, o: { der?: boolean; lastUpdate?: Date; nextUpdate?: Date } = {}): string {
  const pem = join(ca.dir, `${file}.pem`);
  const dates = [...(o.lastUpdate ? ['-crl_lastupdate', utcTime(o.lastUpdate)] : []), ...(o.nextUpdate ? ['-crl_nextupdate', utcTime(o.nextUpdate)] : [])];
  ossl(ca.dir, 'ca', '-batch', '-config', 'ca.cnf', '-gencrl', '-out', pem, ...dates);
  if (!o.der) return pem;
  const der = join(ca.dir, `${file}.der`);
  ossl(ca.dir, 'crl', '-in', pem, '-outform', 'DER', '-out', der);
  return der;
}

export interface CustomCrl {
  entries?: Array<{ serialHex: string; revocationDate?: Date; reason?: number; extensions?: Array<{ oid: string; critical: boolean; der: Buffer }> }>;
  extensions?: Array<{ oid: string; critical: boolean; der: Buffer }>;
  thisUpdate?: Date;
  nextUpdate?: Date;
  /** Issuer name of another CA (a CRL that claims a different issuer). */
  issuerFrom?: TestCa;
}

/**
 * A CRL openssl cannot be asked for (delta, indirect, unknown critical extensions, removeFromCRL),
 * signed with the CA's key by @peculiar/x509; DER bytes.
 */
export async function customCrl(ca: TestCa, o: CustomCrl): Promise<Buffer> {
  const { createPrivateKey, webcrypto } = await import('node:crypto');
  await import('reflect-metadata');
  const x509 = await import('@peculiar/x509');
  x509.cryptoProvider.set(webcrypto as unknown as Crypto);
  const k = createPrivateKey(readFileSync(ca.keyPath));
  const pkcs8 = k.export({ type: 'pkcs8', format: 'der' });
  const alg = k.asymmetricKeyType === 'ec' ? { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  const signingKey = await webcrypto.subtle.importKey('pkcs8', pkcs8, alg, false, ['sign']);
  const issuerCert = new x509.X509Certificate(new Uint8Array(readFileSync((o.issuerFrom ?? ca).certPath)));
  const ext = (e: { oid: string; critical: boolean; der: Buffer }) => new x509.Extension(e.oid, e.critical, new Uint8Array(e.der));
  const crl = await x509.X509CrlGenerator.create({
    issuer: issuerCert.subjectName.toJSON(),
    thisUpdate: o.thisUpdate ?? new Date(),
    nextUpdate: o.nextUpdate ?? new Date(Date.now() + 86_400_000),
    signingKey: signingKey as CryptoKey,
    signingAlgorithm: alg,
    extensions: (o.extensions ?? []).map(ext),
    entries: (o.entries ?? []).map((e) => ({ serialNumber: e.serialHex, revocationDate: e.revocationDate ?? new Date(), reason: e.reason, extensions: (e.extensions ?? []).map(ext) })),
  });
  return Buffer.from(crl.rawData);
}

/** DER of an INTEGER (a CRL number or delta CRL indicator value). */
export function derInteger(n: number): Buffer {
  let hex = n.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  if (parseInt(hex.slice(0, 2), 16) & 0x80) hex = `00${hex}`;
  const body = Buffer.from(hex, 'hex');
  return Buffer.concat([Buffer.from([0x02, body.length]), body]);
}
