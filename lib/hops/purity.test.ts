// lib/hops is pure like lib/binding: it may use lib/binding, lib/credentials and lib/domain, and
// nothing from Next.js, React, Prisma, the database or the environment.
import { describePurity } from '../testing/purity.ts';

describePurity(import.meta.url, 'lib/hops', /^(node:|\.\/|\.\.\/(binding|credentials|domain)\/)/);
