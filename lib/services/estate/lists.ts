// List queries behind the views, /api/v1 lists, CSV/JSON exports and the CLI: one filter
// vocabulary (URL parameters), keyset pagination (`after` = nextCursor of the previous page),
// at most 500 rows a page, optionally the total and the page's offset. Set-based SQL; nothing
// is loaded beyond the page. One file per entity; this one gathers them for existing imports.
export * from './list-tokens.ts';
export * from './list-identities.ts';
export * from './list-findings.ts';
export * from './list-events.ts';
export { getParam } from './query.ts';
