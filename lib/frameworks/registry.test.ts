import { describe, expect, it } from 'vitest';
import { FINDING_RULES } from '../domain/types.ts';
import { NIST_CSF_2_0 } from './catalogs/nist-csf-2.0.ts';
import { csf11To20, csf20From11, CSF_11_TO_20 } from './csf-crosswalk.ts';
import { POSITIVE_CONTROLS } from './mapping.ts';
import { getBuiltinFramework, listBuiltinFrameworks, requireBuiltinFramework } from './registry.ts';
import { BUILTIN_FRAMEWORK_IDS } from './types.ts';
import { validateMapping } from './validate-mapping.ts';

describe('built-in catalogs', () => {
  it('lists the six frameworks of CONTRACT.md, in order', () => {
    expect(listBuiltinFrameworks().map((f) => f.id)).toEqual([
      'owasp-nhi-2025',
      'nist-csf-2.0',
      'nist-sp-800-207',
      'nist-ai-rmf',
      'owasp-agentic-2026',
      'csa-maestro',
    ]);
  });

  it('carries the OWASP NHI Top 10 2025 IDs and titles exactly as published', () => {
    const f = requireBuiltinFramework('owasp-nhi-2025');
    expect(f.controls.map((c) => `${c.id} ${c.title}`)).toEqual([
      'NHI1:2025 Improper Offboarding',
      'NHI2:2025 Secret Leakage',
      'NHI3:2025 Vulnerable Third-Party NHI',
      'NHI4:2025 Insecure Authentication',
      'NHI5:2025 Overprivileged NHI',
      'NHI6:2025 Insecure Cloud Deployment Configurations',
      'NHI7:2025 Long-Lived Secrets',
      'NHI8:2025 Environment Isolation',
      'NHI9:2025 NHI Reuse',
      'NHI10:2025 Human Use of NHI',
    ]);
  });

  it('has all six CSF 2.0 PR.AA subcategories with their published outcomes', () => {
    const aa = NIST_CSF_2_0.controls.filter((c) => c.group === 'PR.AA');
    expect(aa.map((c) => c.id)).toEqual(['PR.AA-01', 'PR.AA-02', 'PR.AA-03', 'PR.AA-04', 'PR.AA-05', 'PR.AA-06']);
    expect(aa[0]?.title).toBe('Identities and credentials for authorized users, services, and hardware are managed by the organization');
    expect(aa[3]?.title).toBe('Identity assertions are protected, conveyed, and verified');
  });

  it('includes DE.CM and the RS.MA / RS.AN / RS.MI subcategories', () => {
    const groups = new Set(NIST_CSF_2_0.controls.map((c) => c.group));
    for (const g of ['DE.CM', 'RS.MA', 'RS.AN', 'RS.MI', 'PR.DS', 'PR.PS']) expect(groups.has(g)).toBe(true);
  });

  it('has the agentic ASI01–ASI10, MAESTRO L1–L7, AI RMF functions and seven 800-207 tenets', () => {
    expect(requireBuiltinFramework('owasp-agentic-2026').controls.map((c) => c.id)).toEqual(
      Array.from({ length: 10 }, (_, i) => `ASI${String(i + 1).padStart(2, '0')}`),
    );
    expect(requireBuiltinFramework('owasp-agentic-2026').controls[2]?.title).toBe('Identity and Privilege Abuse');
    expect(requireBuiltinFramework('csa-maestro').controls.map((c) => c.title)).toEqual([
      'Foundation Models',
      'Data Operations',
      'Agent Frameworks',
      'Deployment & Infrastructure',
      'Evaluation & Observability',
      'Security & Compliance',
      'Agent Ecosystem',
    ]);
    expect(requireBuiltinFramework('nist-ai-rmf').controls.map((c) => c.id)).toEqual(['GOVERN', 'MAP', 'MEASURE', 'MANAGE']);
    expect(requireBuiltinFramework('nist-sp-800-207').controls).toHaveLength(7);
    expect(requireBuiltinFramework('nist-sp-800-207').controls[1]?.title).toBe('All communication is secured regardless of network location.');
  });

  it('answers null for an unknown id and not_found from requireBuiltinFramework', () => {
    expect(getBuiltinFramework('iso-27001')).toBeNull();
    expect(() => requireBuiltinFramework('iso-27001')).toThrow(expect.objectContaining({ code: 'not_found' }));
  });
});

describe('mapping validation', () => {
  it.each(BUILTIN_FRAMEWORK_IDS)('%s: every finding rule and positive control maps to an existing control', (id) => {
    const f = requireBuiltinFramework(id);
    const subjects = [...FINDING_RULES, ...POSITIVE_CONTROLS];
    expect(validateMapping(f, f.mapping, { knownSubjects: subjects, requiredSubjects: subjects })).toEqual([]);
    for (const m of f.mapping) expect(m.rationale.length).toBeGreaterThan(10);
  });

  it('reports an unknown control, a duplicate, an empty rationale and an unmapped subject with paths', () => {
    const catalog = { controls: [{ id: 'A', title: 'a', description: '' }] };
    const issues = validateMapping(
      catalog,
      [
        { subject: 'offboarding', controlId: 'B', rationale: 'x' },
        { subject: 'offboarding', controlId: 'A', rationale: ' ' },
        { subject: 'offboarding', controlId: 'A', rationale: 'y' },
      ],
      { requiredSubjects: ['offboarding', 'fan_out'] },
    );
    expect(issues.map((i) => [i.path, i.code])).toEqual([
      ['mapping[0].controlId', 'unknown_control'],
      ['mapping[1].rationale', 'empty_rationale'],
      ['mapping[2]', 'duplicate_mapping'],
      ['mapping', 'subject_unmapped'],
    ]);
  });
});

describe('CSF 1.1 crosswalk', () => {
  it.each([
    ['PR.AC-4', ['PR.AA-05']],
    ['PR.AC-04', ['PR.AA-05']],
    ['pr.ac-1', ['PR.AA-01', 'PR.AA-05']],
    ['PR.AC-6', ['PR.AA-02']],
    ['RS.AN-3', ['RS.AN-03']],
  ])('maps %s to %j', (from, to) => {
    expect(csf11To20(from)).toEqual(to);
  });

  it('answers null for an unknown or malformed 1.1 id', () => {
    expect(csf11To20('PR.AC-99')).toBeNull();
    expect(csf11To20('NHI1:2025')).toBeNull();
  });

  it('lists the 1.1 sources of PR.AA-05', () => {
    expect(csf20From11('PR.AA-05')).toEqual(['PR.AC-1', 'PR.AC-3', 'PR.AC-4']);
  });

  it('only points at subcategories that exist in the CSF 2.0 catalog', () => {
    const ids = new Set(NIST_CSF_2_0.controls.map((c) => c.id));
    for (const c of CSF_11_TO_20) for (const to of c.csf20) expect(ids.has(to), `${c.csf11} → ${to}`).toBe(true);
  });
});
