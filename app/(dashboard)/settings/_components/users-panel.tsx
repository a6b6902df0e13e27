'use client';
// Users in Settings (admin): the account list with a role selector and disable/enable per user,
// and a form to create an account. Every change asks for confirmation first, and the server
// ends the user's sessions at once on a role change or when disabling; it refuses (409) to leave
// the deployment without an enabled admin, and the dialog shows why.
import { useRef, useState } from 'react';
import type { UserListing } from '@/lib/auth/access-listing.ts';
import { api } from '../../../_components/api.ts';
import { ConfirmDialog } from './confirm-dialog.tsx';
import { minute, useAccessChange } from './use-access-change.ts';

const ROLES = ['analyst', 'operator', 'auditor', 'admin'] as const;

/** An account as listed, and whether it is locked out by failed sign-ins now. */
export type UserRow = UserListing & { locked: boolean };

type Change =
  | { kind: 'role'; user: UserRow; role: string }
  | { kind: 'disable' | 'enable'; user: UserRow }
  | { kind: 'create'; email: string; role: string; password: string };

function send(c: Change): Promise<unknown> {
  if (c.kind === 'create') return api('POST', '/api/v1/users', { email: c.email, role: c.role, password: c.password });
  if (c.kind === 'role') return api('PATCH', `/api/v1/users/${c.user.id}`, { role: c.role });
  return api('PATCH', `/api/v1/users/${c.user.id}`, { disabled: c.kind === 'disable' });
}

/** What the dialog says: the change and its consequence, in one sentence each. */
function describe(c: Change, me: string): { title: string; body: string; confirm: string; danger: boolean } {
  const self = c.kind !== 'create' && c.user.email === me ? ' This is your own account.' : '';
  switch (c.kind) {
    case 'create':
      return { title: 'Create user', body: `Create ${c.email} with the ${c.role} role? They sign in with the password you set.`, confirm: 'Create user', danger: false };
    case 'role':
      return { title: 'Change role', body: `Change ${c.user.email} from ${c.user.role} to ${c.role}? Their sessions end at once; they sign in again with the new role.${self}`, confirm: `Make ${c.role}`, danger: false };
    case 'disable':
      return { title: 'Disable user', body: `Disable ${c.user.email}? Their sessions end at once and they cannot sign in until enabled again.${self}`, confirm: 'Disable user', danger: true };
    case 'enable':
      return { title: 'Enable user', body: `Enable ${c.user.email}? They can sign in again with their password.`, confirm: 'Enable user', danger: false };
  }
}

export function UsersPanel({ users, me }: { users: UserRow[]; me: string }) {
  const [pending, setPending] = useState<Change | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const form = useRef<HTMLFormElement>(null);
  const change = useAccessChange(send, () => {
    if (pending?.kind === 'create') {
      form.current?.reset();
      setDone(`Created ${pending.email} (${pending.role}).`);
    } else setDone(null);
    setPending(null);
  });
  const open = (c: Change) => {
    change.reset();
    setPending(c);
  };
  const words = pending ? describe(pending, me) : null;
  return (
    <div className="panel" data-testid="users-panel">
      <h2>Users</h2>
      <table className="data" data-testid="users-table">
        <thead>
          <tr><th>Email</th><th>Role</th><th>State</th><th>Created</th><th>Access</th></tr>
        </thead>
        <tbody>
          {users.map((u) => (
            <tr key={u.id} data-testid="user-row" data-email={u.email}>
              <td>{u.email}{u.email === me ? <span className="muted"> (you)</span> : null}</td>
              <td>
                <select aria-label={`Role of ${u.email}`} value={u.role} onChange={(e) => open({ kind: 'role', user: u, role: e.target.value })}>
                  {ROLES.map((r) => <option key={r}>{r}</option>)}
                </select>
              </td>
              <td>{u.disabled ? <span className="badge high">disabled</span> : u.locked ? <span className="badge medium">locked</span> : 'active'}</td>
              <td className="mono" style={{ whiteSpace: 'nowrap' }}>{minute(u.createdAt)}</td>
              <td>
                <button type="button" className="secondary" aria-label={`${u.disabled ? 'Enable' : 'Disable'} ${u.email}`} onClick={() => open({ kind: u.disabled ? 'enable' : 'disable', user: u })}>
                  {u.disabled ? 'Enable' : 'Disable'}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form
        ref={form}
        aria-label="Create user"
        className="filters"
        style={{ marginTop: '1rem' }}
        onSubmit={(e) => {
          e.preventDefault();
          const f = new FormData(e.currentTarget);
          open({ kind: 'create', email: String(f.get('email') ?? '').trim(), role: String(f.get('role') ?? 'analyst'), password: String(f.get('password') ?? '') });
        }}
      >
        <label>Email<input name="email" type="email" required maxLength={320} autoComplete="off" /></label>
        <label>
          Role
          <select name="role" defaultValue="analyst">
            {ROLES.map((r) => <option key={r}>{r}</option>)}
          </select>
        </label>
        <label>Password<input name="password" type="password" required minLength={12} maxLength={1024} autoComplete="new-password" /></label>
        <button type="submit">Create user</button>
      </form>
      {done ? <p role="status">{done}</p> : null}
      <p className="muted">
        Also from the shell: <code>holdfast user create|list|disable|enable|role</code>. Accounts that sign in with SSO take their role from the identity provider at every sign-in;
        disabling one here keeps it out.
      </p>
      {pending && words ? (
        <ConfirmDialog key={`${pending.kind}:${pending.kind === 'create' ? pending.email : pending.user.id}`} title={words.title} confirmLabel={words.confirm} danger={words.danger} busy={change.busy} error={change.error} onConfirm={() => change.submit(pending)} onClose={() => setPending(null)}>
          <p>{words.body}</p>
        </ConfirmDialog>
      ) : null}
    </div>
  );
}
