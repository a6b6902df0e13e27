import type { ReactNode } from 'react';
import { headers } from 'next/headers';
import { redirect } from 'next/navigation';
import { Nav } from '../_components/nav.tsx';
import { Providers } from '../_components/providers.tsx';
import { SignOutButton } from '../_components/sign-out-button.tsx';
import { TableLabels } from '../_components/table-labels.tsx';
import { getPageSession } from '../_lib/session.ts';
import { Shell } from './_components/shell.tsx';

export const dynamic = 'force-dynamic';

export default async function DashboardLayout({ children }: { children: ReactNode }) {
  const s = await getPageSession();
  // Keep the deep link: this redirect runs before the page's own requirePage, which would keep it too.
  if (!s) redirect(`/sign-in?next=${encodeURIComponent((await headers()).get('x-holdfast-path') ?? '/')}`);
  return (
    <>
      <meta name="csrf-token" content={s.principal.csrfSecret} />
      <Shell
        side={
          <>
            <div className="brand">Holdfast</div>
            <Nav isAdmin={s.principal.role === 'admin'} />
            <div className="who">
              <div data-testid="who">{s.email}</div>
              <div className="role">role: {s.principal.role}</div>
              <SignOutButton />
            </div>
          </>
        }
      >
        <Providers>{children}</Providers>
        <TableLabels />
      </Shell>
    </>
  );
}
