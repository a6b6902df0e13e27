import type { Metadata } from 'next';
import { can } from '@/lib/auth/permissions.ts';
import { requirePage } from '../../_lib/session.ts';
import { listConnectors } from '@/lib/revocation/connector-store.ts';
import { ApiKeyForm } from './api-key-form.tsx';
import { ConnectorsPanel } from './connectors-panel.tsx';
import { RiskPolicyForm } from './risk-policy-form.tsx';
import { loadPolicy } from '@/lib/services/findings/index.ts';

export const metadata: Metadata = { title: 'Settings' };

export default async function SettingsPage() {
  const { db, principal, email } = await requirePage('read');
  const admin = can(principal, 'admin');
  const [users, keys] = admin
    ? await Promise.all([
        db.prisma.user.findMany({ orderBy: { email: 'asc' }, select: { id: true, email: true, role: true, disabled: true, lockedUntil: true } }),
        db.prisma.apiKey.findMany({ orderBy: { createdAt: 'desc' }, select: { id: true, name: true, role: true, scopes: true, displayStub: true, lastUsedAt: true, revokedAt: true } }),
      ])
    : [[], []];
  const policy = await loadPolicy(db);
  const connectors = admin ? (await listConnectors(db)).map((c) => ({ id: c.id, name: c.name, kind: c.kind, matchIssuer: c.matchIssuer, matchCa: c.matchCa, hasSecrets: c.hasSecrets, createdAt: c.createdAt.toISOString() })) : [];
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
      {admin ? (
        <>
          <div className="panel">
            <h2>Users</h2>
            <table className="data">
              <thead><tr><th>Email</th><th>Role</th><th>State</th></tr></thead>
              <tbody>
                {users.map((u) => (
                  <tr key={u.id}>
                    <td>{u.email}</td>
                    <td>{u.role}</td>
                    <td>{u.disabled ? 'disabled' : u.lockedUntil && u.lockedUntil > new Date() ? 'locked' : 'active'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <p className="muted">Create users with <code>holdfast user create --email E --role R</code> (password on stdin) or <code>POST /api/v1/users</code>.</p>
          </div>
          <div className="panel">
            <h2>API keys</h2>
            <table className="data">
              <thead><tr><th>Name</th><th>Key</th><th>Role</th><th>Scopes</th><th>Last used</th><th>State</th></tr></thead>
              <tbody>
                {keys.map((k) => (
                  <tr key={k.id}>
                    <td>{k.name}</td>
                    <td className="mono">{k.displayStub}</td>
                    <td>{k.role}</td>
                    <td>{k.scopes.join(', ') || '—'}</td>
                    <td>{k.lastUsedAt ? k.lastUsedAt.toISOString().slice(0, 16).replace('T', ' ') : 'never'}</td>
                    <td>{k.revokedAt ? 'revoked' : 'active'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <ApiKeyForm />
          </div>
          <ConnectorsPanel connectors={connectors} />
        </>
      ) : null}
    </>
  );
}
