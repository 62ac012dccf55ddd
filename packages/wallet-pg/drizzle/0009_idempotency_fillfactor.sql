-- A key row is inserted by the claim and updated once, by the write that stores its response.
-- Fresh rows fill their page, so that update moved the row to another page and added an entry to
-- both of the table's indexes (a non-HOT update). With pages filled to a fifth, the response fits
-- beside its row: the update is heap-only, with no index entry (measured on 64-key batches with
-- pgbench: 100 % HOT updates, 1.7-1.9x the batches per second). New pages only; drizzle's schema
-- has no storage parameters, so the snapshot does not change.
ALTER TABLE "idempotency_keys" SET (fillfactor = 20);
