import { describe, expect, it } from 'vitest';
import { bindingOf } from '../ingest/token-record.ts';
import { bindingOfClaims, decideBinding, readCnf } from './cnf-binding.ts';

// A real RFC 7638 thumbprint (STANDARDS.md vector) and a canonical x5t#S256 of 43 characters.
const JKT = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs';
const X5T = 'bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg0';

describe('readCnf', () => {
  it.each([
    ['absent', undefined, { jkt: null, x5t: null, malformed: false }],
    ['jkt', { jkt: JKT }, { jkt: JKT, x5t: null, malformed: false }],
    ['x5t#S256', { 'x5t#S256': X5T }, { jkt: null, x5t: X5T, malformed: false }],
    ['a non-canonical x5t#S256 (the RFC 8705 example ending dg2)', { 'x5t#S256': X5T.replace(/dg0$/, 'dg2') }, { jkt: null, x5t: null, malformed: true }],
    ['a jkt of the wrong length', { jkt: JKT.slice(1) }, { jkt: null, x5t: null, malformed: true }],
    ['cnf that is not an object', 'jkt', { jkt: null, x5t: null, malformed: true }],
  ])('%s', (_name, cnf, expected) => {
    expect(readCnf(cnf)).toEqual(expected);
  });
});

describe('decideBinding: the one rule every reader shares', () => {
  it.each([
    ['jkt → dpop', { jkt: JKT, x5t: null, malformed: false }, 'dpop', null],
    ['x5t#S256 → mtls', { jkt: null, x5t: X5T, malformed: false }, 'mtls', null],
    ['neither → bearer', { jkt: null, x5t: null, malformed: false }, 'bearer', null],
    ['both → bearer with the anomaly (no single binding can be relied on)', { jkt: JKT, x5t: X5T, malformed: false }, 'bearer', 'cnf_both_jkt_and_x5t'],
    ['a malformed member next to a good one keeps the good one and flags it', { jkt: JKT, x5t: null, malformed: true }, 'dpop', 'cnf_malformed'],
  ])('%s', (_name, cnf, binding, anomaly) => {
    expect(decideBinding(cnf)).toEqual({ binding, anomaly });
  });
});

describe('the inventory reader and the claims reader agree', () => {
  it.each([
    [JKT, null],
    [null, X5T],
    [null, null],
    [JKT, X5T],
  ])('jkt=%s x5t=%s', (jkt, x5t) => {
    const claims = { cnf: { ...(jkt ? { jkt } : {}), ...(x5t ? { 'x5t#S256': x5t } : {}) } };
    const fromClaims = bindingOfClaims(claims);
    const fromRow = bindingOf(jkt, x5t, null);
    expect(fromRow).toEqual({ binding: fromClaims.binding, bindingAnomaly: fromClaims.bindingAnomaly });
  });

  it('a stated binding counts only when the row gives no cnf member; a contradicting cnf is an anomaly', () => {
    expect(bindingOf(null, null, 'mtls')).toEqual({ binding: 'mtls', bindingAnomaly: false });
    expect(bindingOf(JKT, null, 'mtls')).toEqual({ binding: 'dpop', bindingAnomaly: true });
    expect(bindingOf(JKT, null, 'dpop')).toEqual({ binding: 'dpop', bindingAnomaly: false });
  });
});
