import Link from 'next/link';

/** Keyset pager: "next" carries the last row's key in the URL, so pages stay fast and shareable. */
export function Pager({ basePath, params, nextCursor }: { basePath: string; params: Record<string, string | undefined>; nextCursor: string | null }) {
  const q = new URLSearchParams(Object.entries(params).filter(([, v]) => v) as [string, string][]);
  q.delete('after');
  const first = `${basePath}${q.size ? `?${q}` : ''}`;
  const next = nextCursor ? `${basePath}?${new URLSearchParams({ ...Object.fromEntries(q), after: nextCursor })}` : null;
  return (
    <div className="pager">
      {params.after ? <Link href={first}>« First page</Link> : null}
      {next ? <Link href={next}>Next page »</Link> : <span className="muted">End of list</span>}
    </div>
  );
}
