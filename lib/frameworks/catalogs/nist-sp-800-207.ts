// NIST SP 800-207 Zero Trust Architecture (August 2020), §2.1 "Tenets of Zero Trust": seven
// numbered tenets. NIST gives them no identifiers; ours are `tenet-N` after their number in §2.1,
// and the titles are the tenet statements as published.
import type { Catalog } from '../types.ts';

export const NIST_SP_800_207: Catalog = {
  id: 'nist-sp-800-207',
  name: 'NIST SP 800-207 Zero Trust Architecture',
  version: '2020-08',
  catalogVersion: '1',
  publisher: 'National Institute of Standards and Technology',
  sourceUrl: 'https://doi.org/10.6028/NIST.SP.800-207',
  custom: false,
  controls: [
    { id: 'tenet-1', group: '§2.1', title: 'All data sources and computing services are considered resources.', description: 'Every API a machine token can reach is a resource to protect.' },
    { id: 'tenet-2', group: '§2.1', title: 'All communication is secured regardless of network location.', description: 'A request inside the mesh gets the same proof-of-possession checks as one from outside.' },
    { id: 'tenet-3', group: '§2.1', title: 'Access to individual enterprise resources is granted on a per-session basis.', description: 'Short-lived, narrowly scoped tokens; a token is not a standing pass.' },
    { id: 'tenet-4', group: '§2.1', title: 'Access to resources is determined by dynamic policy—including the observable state of client identity, application/service, and the requesting asset—and may include other behavioral and environmental attributes.', description: 'The decision looks at who presents the token, from where and how (binding, behaviour).' },
    { id: 'tenet-5', group: '§2.1', title: 'The enterprise monitors and measures the integrity and security posture of all owned and associated assets.', description: 'Credentials and certificates are watched for exposure, expiry and drift.' },
    { id: 'tenet-6', group: '§2.1', title: 'All resource authentication and authorization are dynamic and strictly enforced before access is allowed.', description: 'Binding is enforced at every trust boundary, and revocation takes effect before the next request.' },
    { id: 'tenet-7', group: '§2.1', title: 'The enterprise collects as much information as possible about the current state of assets, network infrastructure and communications and uses it to improve its security posture.', description: 'Gateway and issuer telemetry feeds the findings that improve the posture.' },
  ],
};
