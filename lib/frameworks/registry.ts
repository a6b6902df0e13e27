// The built-in frameworks: catalogs joined with their mappings, validated once at module load so
// a typo in a control ID fails the first import (and the test suite), not an auditor's export.
import { HoldfastError } from '../errors.ts';
import { FINDING_RULES } from '../domain/types.ts';
import { CSA_MAESTRO } from './catalogs/csa-maestro.ts';
import { NIST_AI_RMF } from './catalogs/nist-ai-rmf.ts';
import { NIST_CSF_2_0 } from './catalogs/nist-csf-2.0.ts';
import { NIST_SP_800_207 } from './catalogs/nist-sp-800-207.ts';
import { OWASP_AGENTIC_2026 } from './catalogs/owasp-agentic-2026.ts';
import { OWASP_NHI_2025 } from './catalogs/owasp-nhi-2025.ts';
import { builtinMapping, POSITIVE_CONTROLS } from './mapping.ts';
import type { BuiltinFrameworkId, Catalog, Framework } from './types.ts';
import { BUILTIN_FRAMEWORK_IDS } from './types.ts';
import { validateMapping } from './validate-mapping.ts';

export const EVIDENCE_SUBJECTS: readonly string[] = [...FINDING_RULES, ...POSITIVE_CONTROLS];

const CATALOGS: Record<BuiltinFrameworkId, Catalog> = {
  'owasp-nhi-2025': OWASP_NHI_2025,
  'nist-csf-2.0': NIST_CSF_2_0,
  'nist-sp-800-207': NIST_SP_800_207,
  'nist-ai-rmf': NIST_AI_RMF,
  'owasp-agentic-2026': OWASP_AGENTIC_2026,
  'csa-maestro': CSA_MAESTRO,
};

function build(): Map<string, Framework> {
  const out = new Map<string, Framework>();
  for (const id of BUILTIN_FRAMEWORK_IDS) {
    const catalog = CATALOGS[id];
    const mapping = builtinMapping(id);
    const issues = validateMapping(catalog, mapping, { knownSubjects: EVIDENCE_SUBJECTS, requiredSubjects: EVIDENCE_SUBJECTS });
    if (issues.length > 0) {
      throw new HoldfastError('internal', `built-in framework ${id} has an invalid mapping: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, { issues });
    }
    out.set(id, Object.freeze({ ...catalog, mapping }));
  }
  return out;
}

const BUILTINS = build();

/** The built-in frameworks, in the order of CONTRACT.md. */
export function listBuiltinFrameworks(): Framework[] {
  return [...BUILTINS.values()];
}

/** A built-in framework by id, or null. */
export function getBuiltinFramework(id: string): Framework | null {
  return BUILTINS.get(id) ?? null;
}

/** A built-in framework by id; throws `not_found` with the valid ids in the message. */
export function requireBuiltinFramework(id: string): Framework {
  const f = BUILTINS.get(id);
  if (!f) throw new HoldfastError('not_found', `unknown framework ${id}; expected one of ${BUILTIN_FRAMEWORK_IDS.join(', ')}`);
  return f;
}
