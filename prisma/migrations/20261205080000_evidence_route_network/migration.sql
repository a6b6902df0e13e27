-- Requests listed by route and by client network (issue #17): the Simulate page's network and route
-- rows drill down to the requests they count. The ledger row keeps its route, and a notable row its
-- client network and route, as the numbers of evidence."Dim" the usage rows use (kinds 3 and 4 of
-- lib/services/evidence/dims.ts), so a list filters on exactly the value a simulation row shows.
-- Rows written before this migration have them NULL (no bytes: the null bitmap) and match no such filter.
ALTER TABLE "evidence"."Request" ADD COLUMN "route" INTEGER;
ALTER TABLE "evidence"."Notable" ADD COLUMN "network" INTEGER;
ALTER TABLE "evidence"."Notable" ADD COLUMN "route" INTEGER;
