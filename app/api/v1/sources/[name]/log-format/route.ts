// /api/v1/sources/{name}/log-format: the gateway configuration a source's logs are read with
// (formats nginx, apache, haproxy). PUT (admin) compiles it first and refuses an unusable one with
// a 422 and the compiler's one-line reason, else saves it (audited by SHA-256, never the text) and
// answers what will be read: fields, labels, warnings. `timeZone` (Europe/Berlin, +02:00) is the zone
// of the gateway's zone-less times, the default of the ingests read with it. GET (read) shows the same; the configuration
// text only to admins. DELETE (admin) removes it. A PUT for a source not created yet creates it, as
// an ingest naming it would.
import { z } from 'zod';
import { can } from '@/lib/auth/permissions.ts';
import { apiRoute } from '@/lib/http/route.ts';
import { parseTimeZone, TIME_ZONE_MESSAGE } from '@/lib/ingest/time-zone.ts';
import { deleteSourceLogFormat, getSourceLogFormat, MAX_LOG_FORMAT_CONFIG_BYTES, saveSourceLogFormat } from '@/lib/services/ingest/log-formats.ts';

const body = z.object({
  format: z.enum(['nginx', 'apache', 'haproxy', 'auto']),
  // Characters here; the service checks the UTF-8 size against the same 2 MiB.
  config: z.string().max(MAX_LOG_FORMAT_CONFIG_BYTES),
  logFormat: z.string().max(200).nullish(),
  // The zone of the gateway's zone-less times: the default of the ingests read with this configuration.
  timeZone: z.string().max(64, TIME_ZONE_MESSAGE).refine((v) => !v.trim() || parseTimeZone(v) !== null, TIME_ZONE_MESSAGE).nullish(),
});

type Params = { name: string };

export const GET = apiRoute<Params>({ permission: 'read' }, async ({ db, params, principal }) =>
  getSourceLogFormat(db, params.name, { withConfig: can(principal, 'admin') }),
);

// JSON escaping can make a 2 MiB configuration up to six times longer on the wire (\u00XX).
export const PUT = apiRoute<Params, z.infer<typeof body>>({ permission: 'admin', body, maxBodyBytes: 6 * MAX_LOG_FORMAT_CONFIG_BYTES + 4096 }, async ({ db, params, body, principal }) => {
  const saved = await saveSourceLogFormat(db, { source: params.name, format: body.format, config: body.config, logFormat: body.logFormat ?? null, timeZone: body.timeZone ?? null, actor: principal.label });
  const { created, ...view } = saved;
  return Response.json(view, { status: created ? 201 : 200, headers: { 'cache-control': 'no-store' } });
});

export const DELETE = apiRoute<Params>({ permission: 'admin' }, async ({ db, params, principal }) => deleteSourceLogFormat(db, params.name, principal.label));
