// NIST AI Risk Management Framework 1.0 (NIST AI 100-1, January 2023): the four core functions.
// IDs and titles as published; descriptions are ours, read for agent identities.
import type { Catalog } from '../types.ts';

export const NIST_AI_RMF: Catalog = {
  id: 'nist-ai-rmf',
  name: 'NIST AI Risk Management Framework',
  version: '1.0',
  catalogVersion: '1',
  publisher: 'National Institute of Standards and Technology',
  sourceUrl: 'https://doi.org/10.6028/NIST.AI.100-1',
  custom: false,
  controls: [
    { id: 'GOVERN', title: 'Govern', description: 'Policies, ownership and accountability for AI systems, including who owns each agent identity and its offboarding.' },
    { id: 'MAP', title: 'Map', description: 'Context and reach of an AI system are known: which credentials an agent holds and what they can touch.' },
    { id: 'MEASURE', title: 'Measure', description: 'Risks are assessed and tracked with evidence: how agent credentials are used, bound and exposed.' },
    { id: 'MANAGE', title: 'Manage', description: 'Risks are prioritised and acted on: rotate, bind, revoke and confirm.' },
  ],
};
