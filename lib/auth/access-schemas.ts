// Request and response schemas of the access-management routes (/api/v1/users, /api/v1/api-keys),
// shared by the route handlers and the OpenAPI document so neither can drift. Responses are
// parsed through them: no field (a key hash, a password hash) can leak by being added to a query.
import { z } from 'zod';
import { ROLES } from '../domain/types.ts';
import { DPOP_JKT_PATTERN } from './api-keys.ts';
import { acceptableName } from './names.ts';

const RoleSchema = z.enum(ROLES as [string, ...string[]]);

export const CreateApiKeyBodySchema = z.object({
  name: acceptableName().min(1).max(100),
  role: RoleSchema,
  // With the ingest scope the key may only ingest, whatever its role (lib/auth/permissions.ts).
  scopes: z.array(z.literal('ingest')).max(1).default([]),
  // Bind the key to a DPoP public key: it is then accepted only as `Authorization: DPoP` + proof.
  dpopJkt: z.string().regex(DPOP_JKT_PATTERN, 'must be a JWK SHA-256 thumbprint (43 base64url characters)').optional(),
});

/** A key as listed: a display stub, never the key or its hash. */
export const ApiKeyOutSchema = z.object({
  id: z.string(),
  name: z.string(),
  role: z.string(),
  scopes: z.array(z.string()),
  ingestOnly: z.boolean(),
  source: z.object({ id: z.string(), name: z.string() }).nullable(),
  displayStub: z.string(),
  dpopJkt: z.string().nullable(),
  createdAt: z.date(),
  lastUsedAt: z.date().nullable(),
  revokedAt: z.date().nullable(),
});

export const RevokedApiKeySchema = z.object({
  id: z.string(),
  name: z.string(),
  displayStub: z.string(),
  revokedAt: z.date(),
  alreadyRevoked: z.boolean(),
});

export const CreateUserBodySchema = z.object({
  email: acceptableName().pipe(z.string().email().max(320)),
  role: RoleSchema,
  password: z.string().max(1024),
});

export const UpdateUserBodySchema = z
  .object({ role: RoleSchema.optional(), disabled: z.boolean().optional() })
  .strict()
  .refine((b) => b.role !== undefined || b.disabled !== undefined, { message: 'give a role, disabled, or both' });

export const UserOutSchema = z.object({
  id: z.string(),
  email: z.string(),
  role: z.string(),
  disabled: z.boolean(),
  createdAt: z.date(),
});
