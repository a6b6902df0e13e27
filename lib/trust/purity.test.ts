// lib/trust is pure: no database, no framework, no environment — the CA and CRL readers and the
// review rule take their inputs and a clock as arguments. It may read certificates the way
// lib/ingest does (one DN spelling, from the pure leaf lib/credentials) and use the shared error class.
import { describePurity } from '../testing/purity.ts';

describePurity(import.meta.url, 'lib/trust', /^(node:|reflect-metadata$|@peculiar\/x509$|\.\/|\.\.\/ingest\/hash\.ts$|\.\.\/credentials\/|\.\.\/errors\.ts$|\.\.\/domain\/types\.ts$)/);
