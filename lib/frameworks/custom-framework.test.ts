import { describe, expect, it } from 'vitest';
import { assessControls } from './control-status.ts';
import { parseCustomFramework, validateCustomFramework } from './custom-framework.ts';

const good = () => ({
  id: 'acme-nhi-policy',
  name: 'ACME machine identity policy',
  version: '3.1',
  sourceUrl: 'https://intranet.example/policy',
  controls: [
    { id: 'MI-1', title: 'Machine tokens are sender-constrained', description: 'mTLS or DPoP' },
    { id: 'MI-2', title: 'Leaked secrets are rotated within 24 h' },
  ],
  mapping: [
    { subject: 'sender_constrained_enforced', controlId: 'MI-1', rationale: 'Direct evidence of binding.' },
    { subject: 'unbound_high_risk', controlId: 'MI-1', rationale: 'Unbound tokens break the policy.' },
    { subject: 'exposed_active', controlId: 'MI-2', rationale: 'A leaked secret still active.' },
  ],
});

function issuesOf(input: unknown) {
  const r = validateCustomFramework(input);
  if (r.ok) throw new Error('expected issues');
  return r.issues;
}

describe('custom framework upload', () => {
  it('accepts a valid catalog and mapping, and assesses it like a built-in', () => {
    const f = parseCustomFramework(good());
    expect(f).toMatchObject({ id: 'acme-nhi-policy', custom: true, version: '3.1' });
    expect(f.controls[1]?.description).toBe('');
    const a = assessControls(f, { openFindings: { exposed_active: { critical: 1 } }, positive: {}, rulesEvaluated: ['exposed_active'] });
    expect(a.map((x) => x.status)).toEqual(['not_assessed', 'not_satisfied']);
  });

  it.each<[string, (d: ReturnType<typeof good>) => unknown, string, RegExp]>([
    ['a missing name', (d) => ({ ...d, name: undefined }), 'name', /expected string/i],
    ['an empty title', (d) => ({ ...d, controls: [d.controls[0], { id: 'MI-2', title: '  ' }] }), 'controls.1.title', /must not be empty/],
    ['an upper-case id', (d) => ({ ...d, id: 'ACME' }), 'id', /lower-case/],
    ['a built-in id', (d) => ({ ...d, id: 'nist-csf-2.0' }), 'id', /built-in/],
    ['an unknown subject', (d) => ({ ...d, mapping: [{ subject: 'bad_rule', controlId: 'MI-1', rationale: 'x' }] }), 'mapping.0.subject', /must be one of: unbound_high_risk/],
    ['a mapping to a missing control', (d) => ({ ...d, mapping: [{ subject: 'offboarding', controlId: 'MI-9', rationale: 'x' }] }), 'mapping.0.controlId', /MI-9 is not in the catalog/],
    ['no controls', (d) => ({ ...d, controls: [], mapping: [] }), 'controls', /at least one control/],
    ['an unknown field', (d) => ({ ...d, extra: true }), '', /unrecognized key/i],
    ['a non-http URL', (d) => ({ ...d, sourceUrl: 'javascript:alert(1)' }), 'sourceUrl', /http\(s\) URL/],
    ['a duplicate control', (d) => ({ ...d, controls: [d.controls[0], d.controls[0]], mapping: [] }), 'controls.1.id', /listed twice/],
    ['ids colliding as OSCAL tokens', (d) => ({ ...d, controls: [{ id: 'A:1', title: 't' }, { id: 'A 1', title: 't' }], mapping: [] }), 'controls.1.id', /both become the OSCAL id a-1/],
    ['a control id with a quote', (d) => ({ ...d, controls: [{ id: 'x"y', title: 't' }], mapping: [] }), 'controls.0.id', /must start with a letter or digit/],
  ])('rejects %s at %s', (_name, mutate, path, message) => {
    const issues = issuesOf(mutate(good()));
    const hit = issues.find((i) => i.path === path);
    expect(hit, JSON.stringify(issues)).toBeDefined();
    expect(hit?.message).toMatch(message);
  });

  it('rejects a non-object', () => {
    expect(issuesOf('not json object')[0]).toMatchObject({ path: '' });
  });

  it('throws validation_failed with every issue in details', () => {
    try {
      parseCustomFramework({ ...good(), name: '', version: '' });
      expect.unreachable();
    } catch (e) {
      expect(e).toMatchObject({ code: 'validation_failed' });
      expect((e as Error).message).toMatch(/^invalid framework: name: must not be empty \(and 1 more\)$/);
      expect((e as { details: { issues: unknown[] } }).details.issues).toHaveLength(2);
    }
  });
});
