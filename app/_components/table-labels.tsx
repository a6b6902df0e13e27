'use client';
// One home for the labels of the phone layout's table cards: every body cell of a headed data
// table in <main> gets its column's header text as `data-label` (read from the <thead>, colSpan
// respected), which the phone CSS shows before the value. Pages keep writing plain tables; this
// keeps the labels right as React re-renders rows (a MutationObserver, batched per frame, that
// only writes a label that is missing or wrong). It never reads the viewport: media queries alone
// decide whether the labels show.
//
// It also gives each data table (label/value ones too) its explicit ARIA roles (table, rowgroup, row, columnheader, cell):
// the phone CSS turns rows and cells into blocks, and some browsers (WebKit, the phones' engine)
// then drop table semantics unless the roles are stated.
import { useEffect } from 'react';

// Label/value tables (.kv) stack on a phone too: they get the roles, not the labels.
const TABLES = 'table.data';

/** The header text of a cell as a person reads it: its text without aria-hidden decorations (a sort arrow), whitespace collapsed. */
export function headerText(th: Element): string {
  let text = '';
  const walk = (n: Node) => {
    if (n.nodeType === Node.TEXT_NODE) text += n.textContent ?? '';
    else if (n instanceof Element && n.getAttribute('aria-hidden') !== 'true') n.childNodes.forEach(walk);
  };
  th.childNodes.forEach(walk);
  return text.replace(/\s+/g, ' ').trim();
}

function setAttr(el: Element, name: string, value: string | null) {
  if (el.getAttribute(name) === value) return;
  if (value === null) el.removeAttribute(name);
  else el.setAttribute(name, value);
}

function labelTable(table: HTMLTableElement, withLabels: boolean) {
  setAttr(table, 'role', 'table');
  const head = table.tHead;
  // The header row nearest the body names the columns; a column spanned by one header shares its text.
  const columns: string[] = [];
  const headRow = head?.rows[head.rows.length - 1];
  if (headRow) for (const th of headRow.cells) for (let i = 0; i < Math.max(1, th.colSpan); i++) columns.push(headerText(th));
  for (const group of [head, ...table.tBodies, table.tFoot]) {
    if (!group) continue;
    setAttr(group, 'role', 'rowgroup');
    for (const row of group.rows) {
      setAttr(row, 'role', 'row');
      let col = 0;
      for (const cell of row.cells) {
        const span = Math.max(1, cell.colSpan);
        if (group === head) setAttr(cell, 'role', cell.tagName === 'TH' ? 'columnheader' : 'cell');
        else {
          setAttr(cell, 'role', cell.tagName === 'TH' ? 'rowheader' : 'cell');
          // A cell spanning columns with different headers belongs to none of them.
          const names = new Set(columns.slice(col, col + span));
          const label = names.size === 1 ? [...names][0]! : '';
          if (withLabels) setAttr(cell, 'data-label', label || null);
        }
        col += span;
      }
    }
  }
}

export function labelTables(root: ParentNode) {
  root.querySelectorAll<HTMLTableElement>(TABLES).forEach((t) => labelTable(t, t.tHead !== null && !t.classList.contains('kv')));
}

export function TableLabels({ root = '#main' }: { root?: string }) {
  useEffect(() => {
    const main = document.querySelector(root);
    if (!main) return;
    let frame = 0;
    const run = () => {
      frame = 0;
      labelTables(main);
    };
    run();
    // Attributes are not watched: the labels this writes must not wake it again.
    const observer = new MutationObserver(() => {
      if (!frame) frame = requestAnimationFrame(run);
    });
    observer.observe(main, { childList: true, subtree: true, characterData: true });
    return () => {
      observer.disconnect();
      if (frame) cancelAnimationFrame(frame);
    };
  }, [root]);
  return null;
}
