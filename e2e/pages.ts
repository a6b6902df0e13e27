// Every dashboard page a signed-in admin can open, for the layout, accessibility and screenshot
// checks. Detail pages are reached from the lists (ids come from the demo estate).
import { expect, type Page } from '@playwright/test';

export const LIST_PAGES = [
  '/',
  '/identities',
  '/tokens',
  '/tokens?binding=bearer&risk=high',
  '/failures',
  '/failures?group=gateway',
  '/hops',
  '/simulate?require=mtls',
  '/plans',
  '/plans/new',
  '/verify',
  '/findings',
  '/revocations',
  '/frameworks',
  '/ingest',
  '/sources',
  '/trust',
  '/settings',
  '/audit',
] as const;

/** The list pages plus one token, identity and certificate page of the demo estate, and a revocation and plan page when there is one. */
export async function everyPage(page: Page): Promise<string[]> {
  const api = async (path: string) => {
    const r = await page.request.get(path);
    expect(r.status(), path).toBe(200);
    return (await r.json()) as { items: { id: string }[] };
  };
  const token = (await api('/api/v1/tokens?binding=bearer&risk=high&limit=1')).items[0]!.id;
  const identity = (await api('/api/v1/identities?limit=1')).items[0]!.id;
  const out: string[] = [...LIST_PAGES, `/tokens/${token}`, `/identities/${identity}`];
  // Earlier journeys may have started a revocation or a rollout plan: their pages too.
  for (const list of ['revocations', 'plans']) {
    const r = await page.request.get(`/api/v1/${list}?limit=1`);
    const body = r.ok() ? ((await r.json()) as { items?: { id: string }[]; revocations?: { id: string }[] }) : {};
    const first = (body.items ?? body.revocations)?.[0];
    if (first) out.push(`/${list}/${first.id}`);
  }
  // A certificate page: the first certificate of the first identity that has one (not every
  // identity has a certificate), read from the API rather than by opening identity pages in turn.
  for (const id of (await api('/api/v1/identities?limit=20')).items.map((i) => i.id)) {
    const r = await page.request.get(`/api/v1/identities/${id}`);
    expect(r.status(), `/api/v1/identities/${id}`).toBe(200);
    const cert = ((await r.json()) as { certificates: { id: string }[] }).certificates[0];
    if (cert) {
      out.push(`/certificates/${cert.id}`);
      break;
    }
  }
  return out;
}

/** Every table wider than the panel that holds it (its content box), as "selector: table px > panel px". */
export async function overflowingTables(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    document.querySelectorAll('table').forEach((t, i) => {
      if (t.offsetParent === null) return; // folded away (a closed <details>)
      const panel = t.closest('.panel, section, main') as HTMLElement | null;
      if (!panel) return;
      const cs = getComputedStyle(panel);
      const inner = panel.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
      const w = t.getBoundingClientRect().width;
      if (w > inner + 1) out.push(`${t.getAttribute('data-testid') ?? `table #${i + 1}`} (${panel.className || panel.tagName}): ${Math.round(w)} px > ${Math.round(inner)} px`);
    });
    return out;
  });
}

/** Every visible data table that scrolls sideways inside itself, as "selector: scroll px > box px". */
export async function scrollingTables(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLTableElement>('main table.data')]
      .filter((t) => t.offsetParent !== null && t.scrollWidth > t.clientWidth + 1)
      .map((t) => `${t.getAttribute('data-testid') ?? t.tHead?.textContent?.slice(0, 40) ?? 'table'}: ${t.scrollWidth} px > ${t.clientWidth} px`),
  );
}

/**
 * Every visible body cell of a headed data table (not a label/value one) whose column header has
 * text but whose `data-label` is not that text (the header's text without aria-hidden marks such
 * as the sort arrow; a header spanning columns names each of them).
 */
export async function mislabelledCells(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const text = (el: Element) => {
      const c = el.cloneNode(true) as Element;
      c.querySelectorAll('[aria-hidden="true"]').forEach((n) => n.remove());
      return (c.textContent ?? '').replace(/\s+/g, ' ').trim();
    };
    const out: string[] = [];
    document.querySelectorAll<HTMLTableElement>('main table.data:not(.kv)').forEach((t, i) => {
      const headRow = t.tHead?.rows[t.tHead.rows.length - 1];
      if (!headRow || t.offsetParent === null) return;
      const columns = [...headRow.cells].flatMap((th) => Array<string>(th.colSpan).fill(text(th)));
      for (const body of t.tBodies) {
        for (const [r, row] of [...body.rows].entries()) {
          let col = 0;
          for (const cell of row.cells) {
            const want = cell.colSpan === 1 ? columns[col] : undefined;
            col += cell.colSpan;
            if (!want || cell.getClientRects().length === 0) continue;
            const got = cell.getAttribute('data-label');
            if (got !== want) out.push(`${t.getAttribute('data-testid') ?? `table #${i + 1}`} row ${r + 1}: ${JSON.stringify(got)} ≠ ${JSON.stringify(want)}`);
          }
        }
      }
    });
    return out;
  });
}
