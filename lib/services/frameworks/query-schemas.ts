// Query schemas of the framework routes (GET /api/v1/frameworks and /frameworks/{id}/controls):
// the evidence range and, for one control, its evidence. The routes parse with them and the
// OpenAPI document shows them.
import { z } from 'zod';
import { instantParam, intParam, textParam } from '../../domain/query-params.ts';

const range = {
  from: instantParam('from').describe('evidence from this instant (ISO 8601 with offset; default: all of it)'),
  to: instantParam('to').describe('evidence up to this instant (ISO 8601 with offset; default: now)'),
};

function fromNotAfterTo(q: { from?: Date; to?: Date }, ctx: z.RefinementCtx): void {
  if (q.from && q.to && q.from > q.to) ctx.addIssue({ code: 'custom', path: ['from'], message: 'must not be after to', input: q.from });
}

export const FrameworkRangeQuerySchema = z.object(range).superRefine(fromNotAfterTo);

export const ControlsQuerySchema = z
  .object({
    ...range,
    control: textParam(100).describe("a control's id: adds its evidence (top findings, identities, token count)"),
    limit: intParam(1, 200, 20).describe('with control: at most this many findings (default 20)'),
  })
  .superRefine(fromNotAfterTo);
