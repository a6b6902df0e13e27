'use client';

import Link from 'next/link';
import { usePathname } from 'next/navigation';

// One entry per page (the collapsed sidebar shows each label's first letters).
const ITEMS: Array<{ href: string; label: string; admin?: boolean }> = [
  { href: '/', label: 'Overview' },
  { href: '/identities', label: 'Identities' },
  { href: '/tokens', label: 'Tokens' },
  { href: '/failures', label: 'Binding failures' },
  { href: '/hops', label: 'Hops' },
  { href: '/simulate', label: 'Simulate' },
  { href: '/plans', label: 'Rollout plans' },
  { href: '/verify', label: 'Verify' },
  { href: '/findings', label: 'Findings' },
  { href: '/revocations', label: 'Revocations' },
  { href: '/frameworks', label: 'Frameworks' },
  { href: '/ingest', label: 'Ingest' },
  { href: '/sources', label: 'Sources', admin: true },
  { href: '/trust', label: 'Trust anchors' },
  { href: '/settings', label: 'Settings' },
  { href: '/audit', label: 'Audit log', admin: true },
];

export function Nav({ isAdmin }: { isAdmin: boolean }) {
  const path = usePathname();
  return (
    <nav aria-label="Main">
      {ITEMS.filter((i) => !i.admin || isAdmin).map((i) => {
        const active = i.href === '/' ? path === '/' : path === i.href || path.startsWith(`${i.href}/`);
        return (
          <Link key={i.href} href={i.href} aria-current={active ? 'page' : undefined} title={i.label} data-initial={i.label.slice(0, 2)}>
            <span className="label">{i.label}</span>
          </Link>
        );
      })}
    </nav>
  );
}
