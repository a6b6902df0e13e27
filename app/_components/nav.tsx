'use client';

import Link from 'next/link';
import { usePathname } from 'next/navigation';

const ITEMS: Array<{ href: string; label: string; admin?: boolean }> = [
  { href: '/', label: 'Overview' },
  { href: '/identities', label: 'Identities' },
  { href: '/tokens', label: 'Tokens' },
  { href: '/failures', label: 'Binding failures' },
  { href: '/findings', label: 'Findings' },
  { href: '/revocations', label: 'Revocations' },
  { href: '/frameworks', label: 'Frameworks' },
  { href: '/ingest', label: 'Ingest' },
  { href: '/settings', label: 'Settings' },
];

export function Nav() {
  const path = usePathname();
  return (
    <nav aria-label="Main">
      {ITEMS.map((i) => {
        const active = i.href === '/' ? path === '/' : path === i.href || path.startsWith(`${i.href}/`);
        return (
          <Link key={i.href} href={i.href} aria-current={active ? 'page' : undefined}>
            {i.label}
          </Link>
        );
      })}
    </nav>
  );
}
