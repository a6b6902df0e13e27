// lib/credentials is the leaf every reader of credentials shares (the binding engine, the log
// parsers, the inventory readers): node: builtins, itself and lib/domain only, so none of them has to
// import another's module to agree on what a cnf claim or a certificate failure means.
import { describePurity } from '../testing/purity.ts';

describePurity(import.meta.url, 'lib/credentials', /^(node:|\.\/|\.\.\/domain\/)/);
