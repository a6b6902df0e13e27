// CSA MAESTRO (Multi-Agent Environment, Security, Threat, Risk, and Outcome) threat-modelling
// layers, Cloud Security Alliance (2025). Layer IDs and names as published; descriptions are ours.
import type { Catalog } from '../types.ts';

export const CSA_MAESTRO: Catalog = {
  id: 'csa-maestro',
  name: 'CSA MAESTRO',
  version: '2025',
  catalogVersion: '1',
  publisher: 'Cloud Security Alliance',
  sourceUrl: 'https://cloudsecurityalliance.org/blog/2025/02/06/agentic-ai-threat-modeling-framework-maestro',
  custom: false,
  controls: [
    { id: 'L1', title: 'Foundation Models', description: 'The models agents are built on.' },
    { id: 'L2', title: 'Data Operations', description: 'Data pipelines, stores and retrieval the agents use.' },
    { id: 'L3', title: 'Agent Frameworks', description: 'Frameworks and runtimes that give agents tools and credentials.' },
    { id: 'L4', title: 'Deployment & Infrastructure', description: 'Where agents run: gateways, meshes, certificates, network paths.' },
    { id: 'L5', title: 'Evaluation & Observability', description: 'Logs, metrics and detection over agent behaviour and credential use.' },
    { id: 'L6', title: 'Security & Compliance', description: 'Cross-layer controls: identity, access, revocation, audit (vertical layer).' },
    { id: 'L7', title: 'Agent Ecosystem', description: 'Agents, partners and marketplaces interacting with each other.' },
  ],
};
