ALTER TABLE "point_lots" ADD COLUMN "owed" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "point_lots" ADD COLUMN "owed_to" uuid;--> statement-breakpoint
ALTER TABLE "point_lots" ADD CONSTRAINT "point_lots_owed_range" CHECK ("point_lots"."owed" >= 0 AND "point_lots"."owed" <= "point_lots"."points" AND ("point_lots"."owed" = 0 OR "point_lots"."remaining" = 0));--> statement-breakpoint
ALTER TABLE "point_lots" ADD CONSTRAINT "point_lots_owed_to" CHECK ("point_lots"."owed" = 0 OR "point_lots"."owed_to" IS NOT NULL);--> statement-breakpoint
-- The lot guard of 0004, with the two new columns: `owed` and `owed_to` move on an active lot only
-- (owed up by a reversal's shortfall, down as returned points pay it); `owed_to` is set once.
CREATE OR REPLACE FUNCTION wallet_point_lot_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'UPDATE' THEN
    RAISE EXCEPTION 'point lots are never deleted' USING ERRCODE = 'restrict_violation';
  END IF;
  IF NEW.id IS DISTINCT FROM OLD.id OR NEW.account_id IS DISTINCT FROM OLD.account_id OR NEW.points IS DISTINCT FROM OLD.points
     OR NEW.source IS DISTINCT FROM OLD.source OR NEW.expires_at IS DISTINCT FROM OLD.expires_at OR NEW.created_at IS DISTINCT FROM OLD.created_at THEN
    RAISE EXCEPTION 'point lot %: only remaining, status, owed and owed_to may change', OLD.id USING ERRCODE = 'restrict_violation';
  END IF;
  IF NEW.status IS DISTINCT FROM OLD.status AND NOT (OLD.status = 'pending' AND NEW.status IN ('active', 'cancelled')) THEN
    RAISE EXCEPTION 'point lot %: status % cannot become %', OLD.id, OLD.status, NEW.status USING ERRCODE = 'restrict_violation';
  END IF;
  IF NEW.remaining IS DISTINCT FROM OLD.remaining
     AND NOT (OLD.status = 'active' AND NEW.status = 'active')
     AND NOT (OLD.status = 'pending' AND NEW.status = 'cancelled' AND NEW.remaining = 0) THEN
    RAISE EXCEPTION 'point lot %: remaining of a % lot cannot change to %', OLD.id, OLD.status, NEW.remaining USING ERRCODE = 'restrict_violation';
  END IF;
  IF (NEW.owed IS DISTINCT FROM OLD.owed OR NEW.owed_to IS DISTINCT FROM OLD.owed_to) AND NOT (OLD.status = 'active' AND NEW.status = 'active') THEN
    RAISE EXCEPTION 'point lot %: what a % lot owes cannot change', OLD.id, OLD.status USING ERRCODE = 'restrict_violation';
  END IF;
  IF OLD.owed_to IS NOT NULL AND NEW.owed_to IS DISTINCT FROM OLD.owed_to THEN
    RAISE EXCEPTION 'point lot %: owed_to never changes once set', OLD.id USING ERRCODE = 'restrict_violation';
  END IF;
  RETURN NEW;
END;
$$;
--> statement-breakpoint
-- Reversals before this migration left their shortfall unowed. Where no points have come back to
-- the lot since the first such shortfall (the lot is still at 0), the shortfall becomes owed now,
-- so a later refund pays it as it would have under the rule. A lot that already got points back
-- after a shortfall keeps them: the ledger is append-only, and what it booked stands.
WITH reversed AS (
  SELECT a."lot_id", t."refund_of" AS credit, sum(a."points" + t."points") AS shortfall,
    min(t."seq") FILTER (WHERE a."points" + t."points" > 0) AS first_short
  FROM "point_allocations" a JOIN "point_transactions" t ON t."id" = a."transaction_id"
  WHERE t."type" = 'reversal'
  GROUP BY a."lot_id", t."refund_of"
)
UPDATE "point_lots" l SET "owed" = r.shortfall, "owed_to" = r.credit
FROM reversed r
WHERE l."id" = r."lot_id" AND r.shortfall > 0 AND l."status" = 'active' AND l."remaining" = 0
  AND NOT EXISTS (
    SELECT 1 FROM "point_allocations" a JOIN "point_transactions" f ON f."id" = a."transaction_id"
    WHERE a."lot_id" = l."id" AND f."type" = 'refund' AND f."seq" > r.first_short
      AND (l."expires_at" IS NULL OR l."expires_at" > f."created_at"));
