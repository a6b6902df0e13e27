// OWASP Top 10 for Agentic Applications (2026), OWASP GenAI Security Project. IDs and titles as
// published; descriptions are ours.
import type { Catalog } from '../types.ts';

export const OWASP_AGENTIC_2026: Catalog = {
  id: 'owasp-agentic-2026',
  name: 'OWASP Top 10 for Agentic Applications',
  version: '2026',
  catalogVersion: '1',
  publisher: 'OWASP GenAI Security Project',
  sourceUrl: 'https://genai.owasp.org/',
  custom: false,
  controls: [
    { id: 'ASI01', title: 'Agent Goal Hijack', description: 'An attacker redirects what the agent is trying to achieve.' },
    { id: 'ASI02', title: 'Tool Misuse and Exploitation', description: 'An agent uses legitimate tools and their credentials in harmful ways.' },
    { id: 'ASI03', title: 'Identity and Privilege Abuse', description: 'Agent credentials are stolen, replayed, shared or broader than needed.' },
    { id: 'ASI04', title: 'Agentic Supply Chain Vulnerabilities', description: 'Third-party tools, models and servers an agent relies on are compromised.' },
    { id: 'ASI05', title: 'Unexpected Code Execution', description: 'An agent is led to run code its operators never intended.' },
    { id: 'ASI06', title: 'Memory and Context Poisoning', description: 'Stored memory or context is corrupted to steer later actions.' },
    { id: 'ASI07', title: 'Insecure Inter-Agent Communication', description: 'Messages between agents and services are not authenticated, bound or protected.' },
    { id: 'ASI08', title: 'Cascading Failures', description: 'One compromised agent or credential spreads across many systems.' },
    { id: 'ASI09', title: 'Human-Agent Trust Exploitation', description: 'People over-trust an agent, or act through it, in ways that escape accountability.' },
    { id: 'ASI10', title: 'Rogue Agents', description: 'An agent (or a copy using its credentials) acts outside its intended behaviour.' },
  ],
};
