// OSCAL control and target IDs are tokens (XML NCName rules): a letter or `_` first, then
// letters, digits, `.`, `-`, `_`; no colons. Published IDs like `NHI1:2025` must be converted.

const TOKEN = /^(\p{L}|_)(\p{L}|\p{N}|[.\-_])*$/u;

/** `NHI1:2025` → `nhi1-2025`, `PR.AA-01` → `pr.aa-01`. Deterministic; lower-cases like NIST's catalogs. */
export function toOscalToken(id: string): string {
  let t = id
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}._-]+/gu, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '');
  if (t === '') t = 'c';
  if (!/^(\p{L}|_)/u.test(t)) t = `c-${t}`;
  return t;
}

export function isOscalToken(s: string): boolean {
  return TOKEN.test(s);
}
