-- Notable requests a gateway refused although their verdict does not say so (a status outside 2xx,
-- a verdict other than binding_mismatch, proof_invalid and no_proof_for_bound_token, codes 1-3 of
-- lib/domain/verdict-codes.ts, as lib/simulate REFUSED_VERDICTS lists them). Every simulation reads
-- these rows of its range (lib/services/simulation run-simulation.ts, refusalMoves): without this
-- index it scanned every notable row of the range — 1 s of each simulation at 5 M failures — to
-- keep ~2 % of them. The predicate must stay the statement's word for word (a test checks it).
CREATE INDEX "Notable_refused_unsaid_idx" ON "evidence"."Notable" ("occurredAt")
  WHERE ("httpStatus" < 200 OR "httpStatus" >= 300) AND "verdict" NOT IN (1, 2, 3);
