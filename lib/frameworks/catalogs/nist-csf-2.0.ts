// NIST Cybersecurity Framework 2.0 (NIST CSWP 29, February 2024): the subcategories NHI token
// governance bears on. IDs and outcome texts as published (the outcome is the title); our
// descriptions say what it means for machine tokens. `group` is the CSF category.
import type { Catalog } from '../types.ts';

export const NIST_CSF_2_0: Catalog = {
  id: 'nist-csf-2.0',
  name: 'NIST Cybersecurity Framework',
  version: '2.0',
  catalogVersion: '1',
  publisher: 'National Institute of Standards and Technology',
  sourceUrl: 'https://doi.org/10.6028/NIST.CSWP.29',
  custom: false,
  controls: [
    {
      id: 'PR.AA-01',
      group: 'PR.AA',
      title: 'Identities and credentials for authorized users, services, and hardware are managed by the organization',
      description: 'Every machine identity and its tokens and certificates are inventoried, issued, rotated and revoked under control.',
    },
    {
      id: 'PR.AA-02',
      group: 'PR.AA',
      title: 'Identities are proofed and bound to credentials based on the context of interactions',
      description: 'A token is bound to the workload that holds it (mTLS certificate or DPoP key), not usable by whoever copies it.',
    },
    {
      id: 'PR.AA-03',
      group: 'PR.AA',
      title: 'Users, services, and hardware are authenticated',
      description: 'Each call by a service is authenticated with proof of possession, checked at every gateway.',
    },
    {
      id: 'PR.AA-04',
      group: 'PR.AA',
      title: 'Identity assertions are protected, conveyed, and verified',
      description: 'Tokens and the binding context they rely on survive the path intact and are verified where they are used.',
    },
    {
      id: 'PR.AA-05',
      group: 'PR.AA',
      title: 'Access permissions, entitlements, and authorizations are defined in a policy, managed, enforced, and reviewed, and incorporate the principles of least privilege and separation of duties',
      description: 'Machine tokens carry only the audiences and scopes their job needs, for no longer than policy allows.',
    },
    {
      id: 'PR.AA-06',
      group: 'PR.AA',
      title: 'Physical access to assets is managed, monitored, and enforced commensurate with risk',
      description: 'Physical access; outside what token telemetry can show (listed for completeness, not mapped).',
    },
    {
      id: 'PR.DS-02',
      group: 'PR.DS',
      title: 'The confidentiality, integrity, and availability of data-in-transit are protected',
      description: 'Tokens in transit are protected, and their binding (certificate, proof) is not stripped on the way.',
    },
    {
      id: 'PR.PS-01',
      group: 'PR.PS',
      title: 'Configuration management practices are established and applied',
      description: 'Gateway and issuer configuration (binding enforcement, TTL policy) is set deliberately and applied everywhere.',
    },
    {
      id: 'PR.PS-04',
      group: 'PR.PS',
      title: 'Log records are generated and made available for continuous monitoring',
      description: 'Gateways and authorization servers log the facts needed to verify token use (fingerprints, binding, verdicts).',
    },
    {
      id: 'DE.CM-01',
      group: 'DE.CM',
      title: 'Networks and network services are monitored to find potentially adverse events',
      description: 'Token use across gateways is watched for replay, fan-out and bursts of failures.',
    },
    {
      id: 'DE.CM-03',
      group: 'DE.CM',
      title: 'Personnel activity and technology usage are monitored to find potentially adverse events',
      description: 'Use of machine credentials is watched, including use by people or by more workloads than expected.',
    },
    {
      id: 'DE.CM-06',
      group: 'DE.CM',
      title: 'External service provider activities and services are monitored to find potentially adverse events',
      description: 'Partner and vendor identities are watched like our own.',
    },
    {
      id: 'DE.CM-09',
      group: 'DE.CM',
      title: 'Computing hardware and software, runtime environments, and their data are monitored to find potentially adverse events',
      description: 'Authentication attempts and credential reuse by workloads are monitored (CSF lists this very example).',
    },
    {
      id: 'RS.MA-02',
      group: 'RS.MA',
      title: 'Incident reports are triaged and validated',
      description: 'Token findings are triaged by severity and confirmed before action.',
    },
    {
      id: 'RS.MA-03',
      group: 'RS.MA',
      title: 'Incidents are categorized and prioritized',
      description: 'Findings carry a rule and a severity so the worst exposures are handled first.',
    },
    {
      id: 'RS.AN-03',
      group: 'RS.AN',
      title: 'Analysis is performed to establish what has taken place during an incident and the root cause of the incident',
      description: 'For a replayed or leaked token, the requests it made and the path it took are reconstructed.',
    },
    {
      id: 'RS.AN-08',
      group: 'RS.AN',
      title: "An incident's magnitude is estimated and validated",
      description: 'The blast radius of a compromised credential (identities, gateways, audiences reached) is measured.',
    },
    {
      id: 'RS.MI-01',
      group: 'RS.MI',
      title: 'Incidents are contained',
      description: 'A compromised token or certificate is revoked at the issuer and the revocation is confirmed.',
    },
    {
      id: 'RS.MI-02',
      group: 'RS.MI',
      title: 'Incidents are eradicated',
      description: 'The cause is removed: leaked secrets rotated, shared credentials split, unbound tokens replaced by bound ones.',
    },
  ],
};
