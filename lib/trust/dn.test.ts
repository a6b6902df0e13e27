import { describe, expect, it } from 'vitest';
import { dnKey, reversedDnKey } from './dn.ts';

describe('dnKey: every spelling of one DN meets, different DNs do not', () => {
  const base = 'O=Test,CN=Test Client CA';
  it.each([
    ['O=Test,CN=Test Client CA', 'as NGINX and Node-derived ingest write it'],
    ['o=test, cn=test client ca', 'case and spaces after commas'],
    ['O=Test,CN=Test  Client   CA ', 'runs of spaces in a value'],
    ['organizationName=Test,commonName=Test Client CA', 'long attribute names'],
    ['2.5.4.10=Test,2.5.4.3=Test Client CA', 'OIDs'],
    ['OID.2.5.4.10=Test,OID.2.5.4.3=Test Client CA', 'OID. prefix (RFC 1779)'],
    ['O="Test",CN="Test Client CA"', 'quoted values (RFC 1779)'],
    ['/CN=Test Client CA/O=Test', 'OpenSSL oneline (X.500 order)'],
    ['O=Test;CN=Test Client CA', 'semicolon separator (RFC 1779)'],
    ['O=\\54est,CN=Test Client CA', 'hex-escaped character'],
  ])('%s (%s)', (dn) => {
    expect(dnKey(dn)).toBe(dnKey(base));
  });

  it.each([
    ['O=Acme\\, Inc.,CN=CA', 'O=Acme, Inc.,CN=CA', 'an escaped comma and an unescaped one in a value'],
    ['CN=Caf\\C3\\A9 CA', 'CN=Café CA', 'UTF-8 bytes escaped as RFC 2253 prints non-ASCII (NGINX) vs Node'],
    ['CN=a+UID=b,O=x', 'CN=a+UID=b,O=x'.replace('CN=a+UID=b', 'UID=b+CN=a'), 'a multi-valued RDN in either order'],
    ['emailAddress=ca@x.test,CN=CA', 'E=ca@x.test,CN=CA', 'emailAddress spelled E'],
  ])('%s equals %s (%s)', (a, b) => {
    expect(dnKey(a)).not.toBeNull();
    expect(dnKey(a)).toBe(dnKey(b));
  });

  it.each([
    ['CN=Test Client CA,O=Test', 'the same RDNs in the opposite order'],
    ['O=Test,CN=Other CA', 'another CN'],
    ['O=Test,OU=x,CN=Test Client CA', 'one RDN more'],
    ['O=Test+CN=Test Client CA', 'one multi-valued RDN instead of two'],
  ])('%s differs (%s)', (dn) => {
    expect(dnKey(dn)).not.toBe(dnKey(base));
  });

  it('reversedDnKey gives the key of the DN written in X.500 order with commas', () => {
    expect(reversedDnKey(dnKey('CN=Test Client CA,O=Test')!)).toBe(dnKey(base));
  });

  it.each([[''], ['   '], ['not a dn'], ['=x']])('%j names nothing', (dn) => {
    expect(dnKey(dn)).toBeNull();
  });
});
