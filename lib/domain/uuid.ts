// A UUID as PostgreSQL's uuid type prints it (any case): an id from a URL is checked against it
// before it reaches a `::uuid` cast, so a malformed one is a 404, never a database error.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(s: string): boolean {
  return UUID.test(s);
}
