// OWASP Non-Human Identities Top 10 (2025). IDs and titles as published in
// OWASP/www-project-non-human-identities-top-10 (2025/docs/top-10-2025.md); descriptions are ours.
import type { Catalog } from '../types.ts';

export const OWASP_NHI_2025: Catalog = {
  id: 'owasp-nhi-2025',
  name: 'OWASP Non-Human Identities Top 10',
  version: '2025',
  catalogVersion: '1',
  publisher: 'OWASP Foundation',
  sourceUrl: 'https://owasp.org/www-project-non-human-identities-top-10/2025/',
  custom: false,
  controls: [
    { id: 'NHI1:2025', title: 'Improper Offboarding', description: 'Credentials of retired services, departed owners or decommissioned workloads stay valid.' },
    { id: 'NHI2:2025', title: 'Secret Leakage', description: 'Tokens and keys end up in code, logs, tickets or images where others can read them.' },
    { id: 'NHI3:2025', title: 'Vulnerable Third-Party NHI', description: 'Identities granted to vendors, integrations and partners widen the attack surface.' },
    { id: 'NHI4:2025', title: 'Insecure Authentication', description: 'Machine authentication relies on weak or replayable mechanisms such as unbound bearer tokens.' },
    { id: 'NHI5:2025', title: 'Overprivileged NHI', description: 'An identity holds more access, audiences or reach than its job needs.' },
    { id: 'NHI6:2025', title: 'Insecure Cloud Deployment Configurations', description: 'Deployment and CI/CD configuration exposes or weakens workload credentials.' },
    { id: 'NHI7:2025', title: 'Long-Lived Secrets', description: 'Tokens and certificates live far longer than needed, so a stolen one stays useful.' },
    { id: 'NHI8:2025', title: 'Environment Isolation', description: 'The same identity or credential crosses environments (dev, test, prod).' },
    { id: 'NHI9:2025', title: 'NHI Reuse', description: 'One credential is shared by several workloads, so no one workload can be revoked or attributed alone.' },
    { id: 'NHI10:2025', title: 'Human Use of NHI', description: 'People sign in with machine credentials, bypassing human controls and blurring accountability.' },
  ],
};
