import type { Metadata } from 'next';
import type { ReactNode } from 'react';
import './globals.css';

// Every page renders per request: each carries its own CSP nonce (proxy.ts).
export const dynamic = 'force-dynamic';

export const metadata: Metadata = {
  title: { default: 'Holdfast', template: '%s · Holdfast' },
  description: 'Govern the tokens of non-human identities',
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
