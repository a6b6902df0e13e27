// Keys and users as they are listed outside the server process — in the CLI's JSON lines and the
// Settings page's client components — with dates as ISO strings and a key's source by name. One
// shape for both, from a database row or from the API's JSON (where dates are already strings).
import type { Role } from '../domain/types.ts';

type Stamp = Date | string;
const iso = (d: Stamp) => new Date(d).toISOString();
const isoOrNull = (d: Stamp | null) => (d === null ? null : iso(d));

export interface ApiKeyListing {
  id: string;
  name: string;
  displayStub: string;
  role: string;
  scopes: string[];
  /** True for keys that may only ingest (ingest scope or source binding), whatever their role. */
  ingestOnly: boolean;
  source: string | null;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface ApiKeyListingInput {
  id: string;
  name: string;
  displayStub: string;
  role: Role | string;
  scopes: string[];
  ingestOnly: boolean;
  source: { name: string } | null;
  createdAt: Stamp;
  lastUsedAt: Stamp | null;
  revokedAt: Stamp | null;
}

export function apiKeyListing(k: ApiKeyListingInput): ApiKeyListing {
  return {
    id: k.id,
    name: k.name,
    displayStub: k.displayStub,
    role: k.role,
    scopes: k.scopes,
    ingestOnly: k.ingestOnly,
    source: k.source?.name ?? null,
    createdAt: iso(k.createdAt),
    lastUsedAt: isoOrNull(k.lastUsedAt),
    revokedAt: isoOrNull(k.revokedAt),
  };
}

export interface UserListing {
  id: string;
  email: string;
  role: string;
  disabled: boolean;
  createdAt: string;
}

export function userListing(u: { id: string; email: string; role: Role | string; disabled: boolean; createdAt: Stamp }): UserListing {
  return { id: u.id, email: u.email, role: u.role, disabled: u.disabled, createdAt: iso(u.createdAt) };
}
