// The evidence store's view (storage.ts evidenceStorage) as GET /api/v1/evidence/storage answers it
// and `holdfast evidence storage --server` reads it: zod only, so the CLI loads none of the store.
import { z } from 'zod';
import { HoldSchema } from './hold-schemas.ts';

const StoreSchema = z.object({
  table: z.enum(['Request', 'Usage', 'Notable', 'Hop', 'HopUsage']),
  label: z.string(),
  holds: z.string(),
  keptDays: z.number().int(),
  setting: z.string(),
  partitions: z.number().int(),
  bytes: z.number(),
  rows: z.number(),
  rowsEstimated: z.boolean(),
  oldestFrom: z.string().nullable(),
  nextDrop: z.object({ partition: z.string(), at: z.string() }).nullable(),
  overdue: z.number().int(),
});

export const EvidenceStorageSchema = z.object({
  retention: z.object({ requestWindowDays: z.number().int(), usageRetentionDays: z.number().int(), notableRetentionDays: z.number().int() }),
  holds: z.array(HoldSchema),
  held: z.boolean(),
  stores: z.array(StoreSchema),
  totalBytes: z.number(),
  drops: z.array(z.object({ at: z.string(), partition: z.string(), table: z.string(), from: z.string(), to: z.string(), bytes: z.number(), rows: z.number(), seq: z.string() })),
});
