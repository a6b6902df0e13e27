// lib/ingest is part of the pure core: relative pure modules only — never lib/binding (the parsers
// and the engine share lib/credentials instead) and never the database.
import { describePurity } from '../testing/purity.ts';

describePurity(import.meta.url, 'lib/ingest', /^(?!.*(binding\/|\/db\/))(node:|\.\.?\/)/);
