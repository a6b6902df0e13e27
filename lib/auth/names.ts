// Names people choose for accounts and keys (user emails, API key names) are shown in the admin
// lists, the audit log and CLI output. A NUL or a lone UTF-16 surrogate cannot be stored by
// PostgreSQL (it became a 500 before this check); control characters and bidirectional overrides
// can make one name look like another in a list or a terminal ("Trojan Source"), which matters
// where an admin decides which key to revoke. Refused where the name enters, with a 422.
import { z } from 'zod';
import { HoldfastError } from '../errors.ts';

/** Why a name cannot be accepted as is, or null when it can. */
export type NameProblem = 'nul' | 'lone_surrogate' | 'control_character' | 'bidi_control';

// String.prototype.isWellFormed is in Node 20 (V8 11.3); the ES2023 lib typings predate it.
type WellFormedString = string & { isWellFormed(): boolean };

// C0 controls, DEL and C1 controls (Unicode category Cc) other than NUL, which has its own reason.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0001-\u001f\u007f-\u009f]/;
// Embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) and the implicit marks.
const BIDI = /[\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/** The first problem of a name, in order of severity. */
export function nameProblem(s: string): NameProblem | null {
  if (s.includes('\0')) return 'nul';
  if (!(s as WellFormedString).isWellFormed()) return 'lone_surrogate';
  if (CONTROL.test(s)) return 'control_character';
  if (BIDI.test(s)) return 'bidi_control';
  return null;
}

const WORDS: Record<NameProblem, string> = {
  nul: 'contains a NUL character (U+0000)',
  lone_surrogate: 'contains a lone UTF-16 surrogate (not valid Unicode)',
  control_character: 'contains a control character',
  bidi_control: 'contains a bidirectional text control (it could make the name display as another)',
};

export function nameProblemMessage(p: NameProblem): string {
  return WORDS[p];
}

/** Throws validation_failed (422, CLI exit 2) naming the field when the name has a problem. */
export function assertAcceptableName(field: string, value: string): void {
  const p = nameProblem(value);
  if (p) throw new HoldfastError('validation_failed', `${field}: ${WORDS[p]}`, { errors: [{ path: field, message: WORDS[p] }] });
}

/** The same rule in a request schema, so the 422 names the field with zod's other complaints. */
export function acceptableName() {
  return z.string().superRefine((s, ctx) => {
    const p = nameProblem(s);
    if (p) ctx.addIssue({ code: 'custom', message: WORDS[p] });
  });
}
