'use client';
// The dashboard frame: a skip link, the sidebar and the page. Wide screens can collapse the
// sidebar to a narrow rail (remembered in this browser); narrow screens (phones) hide it behind a
// menu button and open it over the page, closed again by Escape, the backdrop or a navigation.
import { usePathname } from 'next/navigation';
import { useEffect, useState, type ReactNode } from 'react';

const KEY = 'holdfast.sidebar';

export function Shell({ side, children }: { side: ReactNode; children: ReactNode }) {
  const path = usePathname();
  const [open, setOpen] = useState(false);
  const [collapsed, setCollapsed] = useState(false);
  const [seenPath, setSeenPath] = useState(path);
  // Close the phone menu when the page changes (state adjusted during render, not in an effect).
  if (seenPath !== path) {
    setSeenPath(path);
    setOpen(false);
  }
  useEffect(() => {
    // Read after hydration: the server cannot know this browser's choice.
    // eslint-disable-next-line react-hooks/set-state-in-effect -- one read of localStorage after mount
    if (window.localStorage.getItem(KEY) === 'collapsed') setCollapsed(true);
  }, []);
  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') setOpen(false);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [open]);
  const toggleCollapsed = () => {
    setCollapsed((c) => {
      window.localStorage.setItem(KEY, c ? 'expanded' : 'collapsed');
      return !c;
    });
  };
  return (
    <>
      <a className="skip-link" href="#main">Skip to content</a>
      <div className={`shell${collapsed ? ' collapsed' : ''}${open ? ' menu-open' : ''}`}>
        <header className="topbar">
          <button type="button" className="menu-button" aria-expanded={open} aria-controls="sidebar" onClick={() => setOpen((o) => !o)}>
            <span aria-hidden="true">☰</span> Menu
          </button>
          <span className="brand">Holdfast</span>
        </header>
        <aside className="side" id="sidebar" aria-label="Sidebar">
          <button type="button" className="collapse-button" aria-pressed={collapsed} onClick={toggleCollapsed} title={collapsed ? 'Expand the sidebar' : 'Collapse the sidebar'}>
            <span aria-hidden="true">{collapsed ? '»' : '«'}</span>
            <span className="sr-only">{collapsed ? 'Expand the sidebar' : 'Collapse the sidebar'}</span>
          </button>
          {side}
        </aside>
        {open ? <div className="backdrop" onClick={() => setOpen(false)} aria-hidden="true" /> : null}
        <main className="content" id="main" tabIndex={-1}>
          {children}
        </main>
      </div>
    </>
  );
}
