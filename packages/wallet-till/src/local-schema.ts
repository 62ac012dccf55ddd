/**
 * The till's own database: one PGlite, a directory in Node or IndexedDB in a browser. The schema
 * is written here as SQL, not with drizzle-kit's migrator, because that reads its files from the
 * filesystem and a browser tab has none. Each entry runs once, in order, in one transaction.
 *
 * What a sale may never do is a constraint of the allowance row, so no code path can skip it:
 * `spent <= amount`, the count and single-sale caps, and the window (the till clock's reading at
 * the latest sale must lie before the window's end).
 */
export const LOCAL_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE till_clock (
    id boolean PRIMARY KEY DEFAULT true CHECK (id),
    elapsed_ms bigint NOT NULL CHECK (elapsed_ms >= 0),
    wall_ms bigint NOT NULL
  );

  CREATE TABLE allowances (
    id uuid PRIMARY KEY,
    wallet_id uuid NOT NULL,
    currency text NOT NULL,
    amount numeric NOT NULL CHECK (amount > 0),
    spent numeric NOT NULL DEFAULT 0,
    spend_count integer NOT NULL DEFAULT 0,
    largest_spend numeric NOT NULL DEFAULT 0,
    max_spend_amount numeric,
    max_spends integer,
    window_start_ms bigint NOT NULL,
    window_ms bigint NOT NULL,
    last_sale_ms bigint,
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'conflict', 'settled', 'expired')),
    server jsonb NOT NULL,
    synced_seq integer NOT NULL DEFAULT 0,
    problem jsonb,
    last_sync_at timestamptz,
    received_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT allowance_within_amount CHECK (spent >= 0 AND spent <= amount),
    CONSTRAINT allowance_within_max_spends CHECK (max_spends IS NULL OR spend_count <= max_spends),
    CONSTRAINT allowance_within_max_spend_amount CHECK (max_spend_amount IS NULL OR largest_spend <= max_spend_amount),
    CONSTRAINT allowance_within_window CHECK (last_sale_ms IS NULL OR last_sale_ms < window_start_ms + window_ms)
  );
  -- One open allowance per wallet at this till, as the service keeps one active per (wallet, till).
  CREATE UNIQUE INDEX allowances_open_wallet ON allowances (wallet_id) WHERE status IN ('active', 'conflict');

  CREATE TABLE spends (
    allowance_id uuid NOT NULL REFERENCES allowances (id),
    seq integer NOT NULL CHECK (seq > 0),
    amount numeric NOT NULL CHECK (amount > 0),
    occurred_at timestamptz NOT NULL,
    reference text,
    description text,
    to_wallet_id uuid,
    status text NOT NULL DEFAULT 'unsent' CHECK (status IN ('unsent', 'booked', 'replayed')),
    transaction_id uuid,
    PRIMARY KEY (allowance_id, seq),
    CHECK ((status = 'unsent') = (transaction_id IS NULL))
  );
  CREATE INDEX spends_unsent ON spends (allowance_id, seq) WHERE status = 'unsent';

  CREATE TABLE earns (
    position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    local_id uuid NOT NULL UNIQUE,
    user_id text NOT NULL,
    points bigint NOT NULL CHECK (points > 0),
    source text NOT NULL,
    description text,
    earned_at timestamptz NOT NULL,
    status text NOT NULL DEFAULT 'unsent' CHECK (status IN ('unsent', 'sent', 'refused')),
    transaction_id uuid,
    problem jsonb
  );
  CREATE INDEX earns_unsent ON earns (position) WHERE status = 'unsent';
  `,
  // A settle is on its way: no more sales, so none can be made after the service has settled
  // (its answer may be lost, and the till would not know).
  `
  ALTER TABLE allowances DROP CONSTRAINT allowances_status_check;
  ALTER TABLE allowances ADD CONSTRAINT allowances_status_check CHECK (status IN ('active', 'settling', 'conflict', 'settled', 'expired'));
  DROP INDEX allowances_open_wallet;
  CREATE UNIQUE INDEX allowances_open_wallet ON allowances (wallet_id) WHERE status IN ('active', 'settling', 'conflict');
  `,
  // A sale's and an earn's metadata, forwarded with them (null: none).
  `
  ALTER TABLE spends ADD COLUMN metadata jsonb;
  ALTER TABLE earns ADD COLUMN metadata jsonb;
  `,
];
