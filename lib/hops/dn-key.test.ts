import { describe, expect, it } from 'vitest';
import { dnKey } from './same-certificate.ts';

describe('dnKey: one spelling of a DN whatever order and spacing its source wrote', () => {
  it.each([
    ['NGINX / PEM order vs Apache mod_ssl order', 'CN=Test Client CA,O=Test', 'O=Test,CN=Test Client CA', true],
    ['spaces after commas and around values', 'CN=Test Client CA, O=Test', 'O=Test,CN= Test Client CA', true],
    ['attribute type case', 'cn=svc-a,o=Test', 'O=Test,CN=svc-a', true],
    ['an escaped comma stays inside its value', 'CN=a\\,b,O=Test', 'O=Test,CN=a\\,b', true],
    ['another CN', 'CN=Test Client CA,O=Test', 'CN=Other CA,O=Test', false],
    ['another O', 'CN=Test Client CA,O=Test', 'CN=Test Client CA,O=Elsewhere', false],
    ['an RDN more', 'CN=Test Client CA,O=Test', 'CN=Test Client CA,O=Test,C=DE', false],
  ])('%s', (_name, a, b, same) => {
    expect(dnKey(a) === dnKey(b)).toBe(same);
  });
});
