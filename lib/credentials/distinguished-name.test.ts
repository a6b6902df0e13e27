import { describe, expect, it } from 'vitest';
import { dnCommonName, dnKey, parseDn } from './distinguished-name.ts';

describe('dnKey: every spelling of one DN meets, different DNs do not', () => {
  const base = 'O=Test,CN=Test Client CA';
  it.each([
    ['O=Test,CN=Test Client CA', 'as NGINX and Node-derived ingest write it'],
    ['o=test, cn=test client ca', 'case and spaces after commas'],
    ['O=Test,CN=Test  Client   CA ', 'runs of spaces in a value'],
    ['organizationName=Test,commonName=Test Client CA', 'long attribute names'],
    ['2.5.4.10=Test,2.5.4.3=Test Client CA', 'OIDs'],
    ['OID.2.5.4.10=Test,OID.2.5.4.3=Test Client CA', 'OID. prefix (RFC 1779)'],
    ['oid.2.5.4.10=Test,CommonName=Test Client CA', 'OID. prefix and long names in any case'],
    ['O="Test",CN="Test Client CA"', 'quoted values (RFC 1779)'],
    ['/CN=Test Client CA/O=Test', 'OpenSSL oneline (X.500 order)'],
    ['/O=Test/CN=Test Client CA', 'OpenSSL oneline in the other order'],
    ['O=Test;CN=Test Client CA', 'semicolon separator (RFC 1779)'],
    ['O=\\54est,CN=Test Client CA', 'hex-escaped character'],
    ['CN=Test Client CA,O=Test', 'the same RDNs in the opposite order (Apache mod_ssl vs NGINX)'],
  ])('%s (%s)', (dn) => {
    expect(dnKey(dn)).toBe(dnKey(base));
  });

  // One certificate's subject as each gateway logs it (lib/credentials/distinguished-name-real.test.ts runs them).
  const zoe = 'CN=Zoë Müller,O=Société,C=FR';
  it.each([
    ['CN=Zo\\C3\\AB M\\C3\\BCller,O=Soci\\C3\\A9t\\C3\\A9,C=FR', 'OpenSSL RFC 2253, UTF-8 bytes escaped (NGINX $ssl_client_s_dn, HAProxy rfc2253)'],
    ['CN=Zo\\c3\\ab M\\c3\\bcller,O=Soci\\c3\\a9t\\c3\\a9,C=FR', 'the same in lower-case hex'],
    ['CN=Zo\\xC3\\xAB M\\xC3\\xBCller,O=Soci\\xC3\\xA9t\\xC3\\xA9,C=FR', 'a log\'s byte escapes (Apache, NGINX default escaping)'],
    ['CN=Zo\\x5CC3\\x5CAB M\\x5CC3\\x5CBCller,O=Soci\\x5CC3\\x5CA9t\\x5CC3\\x5CA9,C=FR', 'NGINX default escaping of the RFC 2253 escapes'],
    ['/C=FR/O=Société/CN=Zoë Müller', 'legacy OpenSSL oneline, plain UTF-8 (HAProxy ssl_c_s_dn)'],
    ['/C=FR/O=Soci\\xC3\\xA9t\\xC3\\xA9/CN=Zo\\xC3\\xAB M\\xC3\\xBCller', 'legacy OpenSSL oneline with \\x escapes (X509_NAME_oneline)'],
    ['C=FR,O=Société,CN=Zoë Müller', 'plain UTF-8 in X.500 order'],
    ['CN=Zoe\u0308 Mu\u0308ller,O=Société,C=FR', 'decomposed Unicode (NFD)'],
    ['CN=zoë müller,O=SOCIÉTÉ,C=fr', 'case'],
  ])('%s equals the plain UTF-8 spelling (%s)', (dn) => {
    expect(dnKey(dn)).not.toBeNull();
    expect(dnKey(dn)).toBe(dnKey(zoe));
    expect(dnCommonName(dn)?.normalize('NFC').toLowerCase()).toBe('zoë müller');
  });

  it.each([
    ['O=Acme\\, Inc.,CN=CA', 'O=Acme, Inc.,CN=CA', 'an escaped comma and an unescaped one in a value'],
    ['CN=Caf\\C3\\A9 CA', 'CN=Café CA', 'UTF-8 bytes escaped as RFC 2253 prints non-ASCII (NGINX) vs Node'],
    ['CN=a+UID=b,O=x', 'UID=b+CN=a,O=x', 'a multi-valued RDN in either order'],
    ['/O=x/UID=b+CN=a', 'CN=a+UID=b,O=x', 'a multi-valued RDN in a oneline DN'],
    ['emailAddress=ca@x.test,CN=CA', 'E=ca@x.test,CN=CA', 'emailAddress spelled E'],
    ['1.2.840.113549.1.9.1=ca@x.test,CN=CA', 'EMAIL=ca@x.test,CN=CA', 'emailAddress as its OID'],
  ])('%s equals %s (%s)', (a, b) => {
    expect(dnKey(a)).not.toBeNull();
    expect(dnKey(a)).toBe(dnKey(b));
  });

  it.each([
    ['O=Test,CN=Other CA', 'another CN'],
    ['O=Test,OU=x,CN=Test Client CA', 'one RDN more'],
    ['O=Test+CN=Test Client CA', 'one multi-valued RDN instead of two'],
    ['O=Test,CN=Test Client CA2', 'a longer value'],
  ])('%s differs (%s)', (dn) => {
    expect(dnKey(dn)).not.toBe(dnKey(base));
  });

  it.each([[''], ['   '], ['not a dn'], ['=x'], ['CN x=y']])('%j names nothing', (dn) => {
    expect(dnKey(dn)).toBeNull();
  });
});

describe('parseDn and dnCommonName', () => {
  it('gives the RDNs most specific first, types canonical, values decoded', () => {
    expect(parseDn('/C=FR/O=Soci\\xC3\\xA9t\\xC3\\xA9/commonName=Zo\\C3\\AB+UID=z')).toEqual([
      [{ type: 'CN', value: 'Zoë' }, { type: 'UID', value: 'z' }],
      [{ type: 'O', value: 'Société' }],
      [{ type: 'C', value: 'FR' }],
    ]);
  });

  it.each([
    ['O=Test,CN=svc-a', 'svc-a'],
    ['CN=a\\,b,O=Test', 'a,b'],
    ['/O=Test/CN=svc-a', 'svc-a'],
    ['CN=Zo\\C3\\AB M\\C3\\BCller,O=Soci\\C3\\A9t\\C3\\A9', 'Zoë Müller'],
    ['O=Test', null],
  ])('%s → %s', (dn, cn) => {
    expect(dnCommonName(dn)).toBe(cn);
  });
});
