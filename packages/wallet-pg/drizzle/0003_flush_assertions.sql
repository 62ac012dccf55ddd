-- Lets a single statement refuse to go on: the store's write-everything statement asserts that it
-- changed exactly the rows it was meant to, so that a statement sent together with its COMMIT can
-- never commit on top of a row that changed under its lock.
CREATE FUNCTION wallet_assert(ok boolean, message text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  IF ok IS NOT TRUE THEN
    RAISE EXCEPTION 'wallet store assertion failed: %', message USING ERRCODE = 'data_exception';
  END IF;
  RETURN true;
END;
$$;
