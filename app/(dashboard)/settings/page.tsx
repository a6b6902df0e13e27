import type { Metadata } from 'next';
import { apiKeyListing, userListing } from '@/lib/auth/access-listing.ts';
import { listApiKeys } from '@/lib/auth/api-keys.ts';
import { can } from '@/lib/auth/permissions.ts';
import { listUsers, type UserView } from '@/lib/auth/users.ts';
import { requirePage } from '../../_lib/session.ts';
import { listConnectors } from '@/lib/revocation/connector-store.ts';
import { ApiKeyForm } from './api-key-form.tsx';
import { ApiKeysPanel } from './_components/api-keys-panel.tsx';
import { UsersPanel, type UserRow } from './_components/users-panel.tsx';
import { ConnectorsPanel } from './connectors-panel.tsx';
import { RiskPolicyForm } from './risk-policy-form.tsx';
import { loadPolicy } from '@/lib/services/findings/index.ts';
import { evidenceStorage } from '@/lib/services/evidence/storage.ts';
import { EvidencePanel } from './_components/evidence-panel.tsx';

export const metadata: Metadata = { title: 'Settings' };

/** What the client panel gets: plain strings for dates (they cross to the browser), and the lock. */
function userRow(u: UserView): UserRow {
  return { ...userListing(u), locked: !!u.lockedUntil && u.lockedUntil.getTime() > Date.now() };
}

export default async function SettingsPage() {
  const { db, principal, email } = await requirePage('read');
  const admin = can(principal, 'admin');
  const [users, keys] = admin ? await Promise.all([listUsers(db), listApiKeys(db)]) : [[], []];
  const userRows = users.map(userRow);
  const keyRows = keys.map(apiKeyListing);
  const [policy, evidence] = await Promise.all([loadPolicy(db), evidenceStorage(db)]);
  const connectors = admin ? (await listConnectors(db)).map((c) => ({ id: c.id, name: c.name, kind: c.kind, matchIssuer: c.matchIssuer, matchCa: c.matchCa, config: c.config, hasSecrets: c.hasSecrets, createdAt: c.createdAt.toISOString() })) : [];
  return (
    <>
      <h1>Settings</h1>
      <div className="panel">
        <h2>Your account</h2>
        <p>{email} — role <strong>{principal.role}</strong></p>
      </div>
      <div className="panel" id="risk-policy">
        <h2>Risk policy</h2>
        <RiskPolicyForm policy={policy} canEdit={admin} />
      </div>
      <EvidencePanel view={evidence} admin={admin} />
      {admin ? (
        <>
          <UsersPanel users={userRows} me={email} />
          <ApiKeysPanel keys={keyRows}>
            <ApiKeyForm />
          </ApiKeysPanel>
          <ConnectorsPanel connectors={connectors} />
        </>
      ) : null}
    </>
  );
}
