// @peculiar/x509, loaded on first use. With the reflect-metadata polyfill it needs first, it is the
// heaviest module the CLI and the server import (about half of the CLI bundle's start), and only
// CRL, CA and step-ca work needs it: every other command and request starts without it.
import { webcrypto } from 'node:crypto';
import type * as X509 from '@peculiar/x509';

type PeculiarX509 = typeof X509;

let loading: Promise<PeculiarX509> | null = null;

/** The library, with Node's WebCrypto as its provider (set once). */
export function peculiarX509(): Promise<PeculiarX509> {
  loading ??= (async () => {
    await import('reflect-metadata');
    const x509 = await import('@peculiar/x509');
    x509.cryptoProvider.set(webcrypto as unknown as Crypto);
    return x509;
  })();
  return loading;
}
