import Link from 'next/link';
import { fmt } from './estate.tsx';

/**
 * Keyset pager: "next" carries the last row's key in the URL, so pages stay fast and shareable.
 * With the list's total and the page's offset it says where the reader is: "Page 3 of 12 ·
 * rows 101–150 of 560 tokens".
 */
export function Pager({
  basePath,
  params,
  nextCursor,
  total,
  offset,
  shown,
  limit,
  noun = 'rows',
}: {
  basePath: string;
  params: Record<string, string | undefined>;
  nextCursor: string | null;
  total?: number;
  offset?: number;
  shown?: number;
  limit?: number;
  noun?: string;
}) {
  const q = new URLSearchParams(Object.entries(params).filter(([, v]) => v) as [string, string][]);
  q.delete('after');
  const first = `${basePath}${q.size ? `?${q}` : ''}`;
  const next = nextCursor ? `${basePath}?${new URLSearchParams({ ...Object.fromEntries(q), after: nextCursor })}` : null;
  const per = limit ?? 50;
  const where =
    total !== undefined && offset !== undefined ? (
      <span className="muted" data-testid="pager-position">
        {total === 0
          ? `No ${noun}`
          : `Page ${fmt(Math.floor(offset / per) + 1)} of ${fmt(Math.max(1, Math.ceil(total / per)))} · ${fmt(offset + 1)}–${fmt(offset + (shown ?? 0))} of ${fmt(total)} ${noun}`}
      </span>
    ) : null;
  return (
    <nav className="pager" aria-label="Pages">
      {where}
      {params.after ? <Link href={first}>« First page</Link> : null}
      {next ? <Link href={next}>Next page »</Link> : <span className="muted">End of list</span>}
    </nav>
  );
}

/** A column header that sorts the list by `sort` (a URL parameter); the current one is marked. */
export function SortHeader({
  basePath,
  params,
  sort,
  current,
  children,
  className,
}: {
  basePath: string;
  params: Record<string, string | undefined>;
  sort: string;
  current: string;
  children: React.ReactNode;
  className?: string;
}) {
  const q = new URLSearchParams(Object.entries({ ...params, sort, after: undefined }).filter(([, v]) => v) as [string, string][]);
  const active = sort === current;
  return (
    <th className={className} aria-sort={active ? 'other' : undefined}>
      <Link href={`${basePath}?${q}`} className="sort" aria-label={`Sort by ${typeof children === 'string' ? children : sort}`}>
        {children}
        {active ? <span aria-hidden="true"> ▾</span> : null}
      </Link>
    </th>
  );
}
