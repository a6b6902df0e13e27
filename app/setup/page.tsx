import type { Metadata } from 'next';
import { SetupForm } from './setup-form.tsx';

export const metadata: Metadata = { title: 'Set up' };

export default async function SetupPage({ searchParams }: { searchParams: Promise<{ token?: string }> }) {
  const { token } = await searchParams;
  return (
    <div className="center">
      <div className="card">
        <h1>Create the first admin</h1>
        {token ? <SetupForm token={token} /> : <p className="error">Open the setup link printed by the server at first start.</p>}
      </div>
    </div>
  );
}
