// Admin-uploaded frameworks: a JSON catalog plus its mapping onto our evidence subjects. Parsed
// with zod, then checked for references (every mapped control exists) and for IDs that collide
// once turned into OSCAL tokens. Every problem comes back with a path and a message.
import { z } from 'zod';
import { HoldfastError } from '../errors.ts';
import { toOscalToken } from './oscal-token.ts';
import { EVIDENCE_SUBJECTS } from './registry.ts';
import type { Framework } from './types.ts';
import { BUILTIN_FRAMEWORK_IDS } from './types.ts';
import { validateMapping } from './validate-mapping.ts';

const text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);

export const customControlSchema = z.strictObject({
  id: text(64).regex(/^[\p{L}\p{N}][\p{L}\p{N}._:\-/ ]*$/u, 'must start with a letter or digit and use letters, digits, . _ : - / or spaces'),
  title: text(500),
  description: z.string().trim().max(2000, 'must be at most 2000 characters').default(''),
  group: text(100).optional(),
});

export const customMappingEntrySchema = z.strictObject({
  subject: z.enum(EVIDENCE_SUBJECTS as [string, ...string[]], {
    error: () => `must be one of: ${EVIDENCE_SUBJECTS.join(', ')}`,
  }),
  controlId: text(64),
  rationale: text(300),
});

export const customFrameworkSchema = z.strictObject({
  id: z
    .string()
    .regex(/^[a-z][a-z0-9.-]{1,62}$/, 'must be 2–63 characters: lower-case letters, digits, . and -, starting with a letter')
    .refine((id) => !(BUILTIN_FRAMEWORK_IDS as readonly string[]).includes(id), 'is the id of a built-in framework'),
  name: text(200),
  version: text(50),
  publisher: text(200).optional(),
  sourceUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  controls: z.array(customControlSchema).min(1, 'must list at least one control').max(2000, 'must list at most 2000 controls'),
  mapping: z.array(customMappingEntrySchema).max(20000, 'must have at most 20000 entries'),
});

export type CustomFrameworkInput = z.input<typeof customFrameworkSchema>;

export interface FieldIssue {
  /** Dotted path into the uploaded document, e.g. `controls.3.title`; empty for the root. */
  path: string;
  message: string;
}

export type CustomFrameworkResult = { ok: true; framework: Framework } | { ok: false; issues: FieldIssue[] };

function joinPath(p: readonly PropertyKey[]): string {
  return p.map((s) => String(s)).join('.');
}

/** Validates an uploaded framework; never throws for bad input. */
export function validateCustomFramework(input: unknown): CustomFrameworkResult {
  const parsed = customFrameworkSchema.safeParse(input);
  if (!parsed.success) {
    return { ok: false, issues: parsed.error.issues.map((i) => ({ path: joinPath(i.path), message: i.message })) };
  }
  const doc = parsed.data;
  const issues: FieldIssue[] = [];
  const tokens = new Map<string, number>();
  doc.controls.forEach((c, i) => {
    const t = toOscalToken(c.id);
    const prev = tokens.get(t);
    if (prev !== undefined && doc.controls[prev]?.id !== c.id) {
      issues.push({ path: `controls.${i}.id`, message: `${c.id} and ${doc.controls[prev]?.id} both become the OSCAL id ${t}` });
    }
    tokens.set(t, i);
  });
  for (const m of validateMapping(doc, doc.mapping)) {
    // validateMapping speaks `mapping[3].controlId`; uploads get the same dotted form as zod.
    issues.push({ path: m.path.replace(/\[(\d+)\]/g, '.$1'), message: m.message });
  }
  if (issues.length > 0) return { ok: false, issues };
  return {
    ok: true,
    framework: {
      id: doc.id,
      name: doc.name,
      version: doc.version,
      catalogVersion: doc.version,
      publisher: doc.publisher ?? 'custom',
      sourceUrl: doc.sourceUrl ?? '',
      custom: true,
      controls: doc.controls.map((c) => ({ id: c.id, title: c.title, description: c.description, ...(c.group ? { group: c.group } : {}) })),
      mapping: doc.mapping,
    },
  };
}

/** Like validateCustomFramework, but throws `validation_failed` with `details.issues`. */
export function parseCustomFramework(input: unknown): Framework {
  const r = validateCustomFramework(input);
  if (r.ok) return r.framework;
  const first = r.issues[0];
  const more = r.issues.length > 1 ? ` (and ${r.issues.length - 1} more)` : '';
  throw new HoldfastError('validation_failed', `invalid framework: ${first ? `${first.path || '(root)'}: ${first.message}` : 'unknown'}${more}`, { issues: r.issues });
}
