-- Point lots are as protected as the ledgers: a lot is the record of where points came from and
-- when they expire, so it is never deleted and never rewritten. Only two columns may move, and
-- only in the directions the domain moves them:
--   status:    pending -> active (confirm) or pending -> cancelled (cancel); nothing else.
--   remaining: on an active lot, within 0..points (the check constraint): down by a spend, an
--              expiry or a reversal, back up by a refund of a spend; on a pending lot only to 0
--              as it is cancelled; a cancelled lot never changes again.
CREATE FUNCTION wallet_point_lot_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'UPDATE' THEN
    RAISE EXCEPTION 'point lots are never deleted' USING ERRCODE = 'restrict_violation';
  END IF;
  IF NEW.id IS DISTINCT FROM OLD.id OR NEW.account_id IS DISTINCT FROM OLD.account_id OR NEW.points IS DISTINCT FROM OLD.points
     OR NEW.source IS DISTINCT FROM OLD.source OR NEW.expires_at IS DISTINCT FROM OLD.expires_at OR NEW.created_at IS DISTINCT FROM OLD.created_at THEN
    RAISE EXCEPTION 'point lot %: only remaining and status may change', OLD.id USING ERRCODE = 'restrict_violation';
  END IF;
  IF NEW.status IS DISTINCT FROM OLD.status AND NOT (OLD.status = 'pending' AND NEW.status IN ('active', 'cancelled')) THEN
    RAISE EXCEPTION 'point lot %: status % cannot become %', OLD.id, OLD.status, NEW.status USING ERRCODE = 'restrict_violation';
  END IF;
  IF NEW.remaining IS DISTINCT FROM OLD.remaining
     AND NOT (OLD.status = 'active' AND NEW.status = 'active')
     AND NOT (OLD.status = 'pending' AND NEW.status = 'cancelled' AND NEW.remaining = 0) THEN
    RAISE EXCEPTION 'point lot %: remaining of a % lot cannot change to %', OLD.id, OLD.status, NEW.remaining USING ERRCODE = 'restrict_violation';
  END IF;
  RETURN NEW;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER point_lots_guarded BEFORE UPDATE OR DELETE ON point_lots
  FOR EACH ROW EXECUTE FUNCTION wallet_point_lot_guard();
--> statement-breakpoint
CREATE TRIGGER point_lots_no_truncate BEFORE TRUNCATE ON point_lots
  FOR EACH STATEMENT EXECUTE FUNCTION wallet_ledger_append_only();
