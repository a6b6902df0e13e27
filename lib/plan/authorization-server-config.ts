// Copy-paste configuration for the authorization server of one wave: oidc-provider (features and
// client metadata) and Keycloak (client attributes through kcadm.sh). Client ids are the plan's
// identity names; one that is not a plain identifier is written quoted (JSON string in JavaScript,
// single-quoted in the shell), never spliced in raw.
import type { PlanIdentity, PlanPolicy, Wave } from './types.ts';

/** Single-quoted for POSIX shells: a `'` becomes `'\''`. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function mechanismOf(i: PlanIdentity, policy: PlanPolicy): 'mtls' | 'dpop' {
  return i.mechanism?.mechanism ?? (policy.require === 'dpop' ? 'dpop' : 'mtls');
}

/** oidc-provider: the features the wave needs and each client's binding metadata (RFC 8705 §3.4, RFC 9449 §5.2). */
export function oidcProviderSnippet(wave: Wave, policy: PlanPolicy): string {
  const ids = wave.identities;
  const mtls = ids.filter((i) => mechanismOf(i, policy) === 'mtls');
  const dpop = ids.filter((i) => mechanismOf(i, policy) === 'dpop');
  const ttl = policy.maxTtlSeconds ?? null;
  const features: string[] = [];
  if (dpop.length) features.push('    dPoP: { enabled: true },');
  if (mtls.length) {
    features.push(`    mTLS: {
      enabled: true,
      certificateBoundAccessTokens: true,
      // The certificate as your TLS terminator forwards it (RFC 9440 Client-Cert shown).
      getCertificate(ctx) {
        const h = ctx.get('client-cert');
        return h ? \`-----BEGIN CERTIFICATE-----\\n\${h.replace(/^:|:$/g, '')}\\n-----END CERTIFICATE-----\` : undefined;
      },
    },`);
  }
  const clients = ids.map((i) => {
    const meta = mechanismOf(i, policy) === 'mtls' ? 'tls_client_certificate_bound_access_tokens: true' : 'dpop_bound_access_tokens: true';
    return `    { client_id: ${JSON.stringify(i.name)}, ${meta} /* , ...its existing metadata */ },`;
  });
  return `// oidc-provider (panva/oidc-provider) - wave ${wave.wave}: ${wave.title}
// Merge into the Provider configuration; restart the provider.
const configuration = {
  features: {
${features.join('\n') || '    // no binding feature needed for this wave'}
  },${ttl ? `\n  ttl: { AccessToken: ${ttl} }, // the policy's maximum token lifetime, seconds` : ''}
  clients: [
${clients.join('\n') || '    // no client changes in this wave'}
  ],
};
`;
}

/** Keycloak: per client, the binding attribute set with kcadm.sh (and the token lifespan). */
export function keycloakSnippet(wave: Wave, policy: PlanPolicy): string {
  const ttl = policy.maxTtlSeconds ?? null;
  const lines = wave.identities.map((i) => {
    const attr = mechanismOf(i, policy) === 'mtls' ? 'tls.client.certificate.bound.access.tokens' : 'dpop.bound.access.tokens';
    const sets = [`-s 'attributes."${attr}"=true'`];
    if (ttl) sets.push(`-s 'attributes."access.token.lifespan"=${ttl}'`);
    return `ID=$(kcadm.sh get clients -r "$REALM" -q clientId=${shellQuote(i.name)} --fields id --format csv --noquotes)
kcadm.sh update "clients/$ID" -r "$REALM" ${sets.join(' ')}`;
  });
  return `# Keycloak - wave ${wave.wave}: ${wave.title}
# kcadm.sh config credentials --server https://keycloak.example --realm master --user admin first.
REALM=\${REALM:-myrealm}
${lines.join('\n') || '# no client changes in this wave'}
`;
}
