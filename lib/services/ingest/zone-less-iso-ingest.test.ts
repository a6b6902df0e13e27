// Keycloak's zone-less event times, ingested on both runtimes with `timeZone: 'Europe/Berlin'`: the
// stored request time is the instant (the autumn hour shown twice read as its earlier pass), as for
// the custom gateway formats; a line whose time carries an offset is never shifted; without a zone, UTC.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '../../testing/databases.ts';
import { ingestStream } from './pipeline.ts';
import { allEvents } from './testing/stored-events.ts';

const line = (t: string, client: string) =>
  `${t} WARN  [org.keycloak.events] (executor-thread-1) type="CLIENT_LOGIN_ERROR", realmId="r", clientId="${client}", error="invalid_dpop_proof", reason="DPoP proof is missing"`;
const LOG = [
  line('2026-12-06 10:00:00,123', 'winter'),
  line('2026-10-25 02:30:00,000', 'autumn-twice'),
  line('2026-03-29 02:30:00,000', 'spring-skipped'),
  line('2026-12-06T10:00:00.123+00:00', 'with-offset'),
].join('\n');

for (const runtime of RUNTIMES) {
  describe(`keycloak-events zone-less times under Europe/Berlin (${runtime})`, () => {
    let t: TestDatabase | null = null;
    beforeAll(async () => {
      if (runtime === 'postgres' && !(await postgresAvailable())) {
        if (process.env.CI === 'true') throw new Error('CI=true but PostgreSQL is not reachable');
        return;
      }
      t = await openTestDatabase(runtime);
    }, 60_000);
    afterAll(async () => t?.drop());

    it('stored at the instant: the zone given, DST followed, an offset never shifted; without a zone, UTC', async () => {
      if (!t) return;
      const berlin = await ingestStream(t.db, [LOG], { format: 'keycloak-events', sourceName: 'kc-berlin', timeZone: 'Europe/Berlin', actor: 'test' });
      expect(berlin).toMatchObject({ accepted: 4, rejected: 0 });
      const utc = await ingestStream(t.db, [line('2026-12-06 10:00:00,123', 'no-zone')], { format: 'keycloak-events', sourceName: 'kc-utc', actor: 'test' });
      expect(utc).toMatchObject({ accepted: 1, rejected: 0 });
      const at = Object.fromEntries((await allEvents(t.db)).map((e) => [e.identity, new Date(e.occurredAt).toISOString()]));
      expect(at).toEqual({
        winter: '2026-12-06T09:00:00.123Z',
        'autumn-twice': '2026-10-25T00:30:00.000Z',
        'spring-skipped': '2026-03-29T01:30:00.000Z',
        'with-offset': '2026-12-06T10:00:00.123Z',
        'no-zone': '2026-12-06T10:00:00.123Z',
      });
    });
  });
}
