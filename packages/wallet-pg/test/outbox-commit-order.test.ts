import { WalletService } from '@goodgo/wallet-core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodePostgresStore } from '../src/node-postgres/index.js';
import type { SqlWalletStore } from '../src/sql-store.js';
import { adminUrl, freshDatabase } from './support/postgres.js';

describe.runIf(adminUrl)('outbox reading in commit order (PostgreSQL)', () => {
  let url: string;
  let drop: () => Promise<void>;
  let store: SqlWalletStore;
  let service: WalletService;

  beforeAll(async () => {
    ({ url, drop } = await freshDatabase('outbox_order'));
    store = await createNodePostgresStore({ connectionString: url, max: 4 });
    service = new WalletService({ store });
  });
  afterAll(async () => {
    await store.close();
    await drop();
  });

  it('never skips an event whose transaction took an earlier position but commits after a later one', async () => {
    const wallet = await service.createWallet({ userId: 'order-user' });
    const seen = (await store.listEvents('0', 1000)).map((e) => e.position);
    const after = seen.at(-1) as string;

    // A slow writer takes a position and keeps its transaction open.
    const slow = new pg.Client({ connectionString: url, options: '-c search_path=wallet' });
    await slow.connect();
    try {
      await slow.query('BEGIN');
      const [taken] = (
        await slow.query(
          `INSERT INTO outbox_events (id, type, aggregate_type, aggregate_id, payload, occurred_at)
           VALUES (gen_random_uuid(), 'WalletFrozen', 'wallet', $1, '{"userId":"order-user","reason":null}', now()) RETURNING seq::text AS seq`,
          [wallet.id],
        )
      ).rows as { seq: string }[];
      // A later command takes the next position and commits first.
      await service.deposit({ walletId: wallet.id, amount: '100' });

      // A reader must not hand out the later event alone: it waits for the slow writer to settle.
      let read: { position: string }[] | null = null;
      const reading = store.listEvents(after, 100).then((rows) => (read = rows));
      await new Promise((r) => setTimeout(r, 300));
      expect(read).toBeNull();
      await slow.query('COMMIT');
      await reading;
      const positions = (read as unknown as { position: string }[]).map((e) => e.position);
      expect(positions[0]).toBe(taken?.seq);
      expect(positions).toHaveLength(2);
      expect(BigInt(positions[1] as string)).toBeGreaterThan(BigInt(taken?.seq as string));
    } finally {
      await slow.end();
    }
  });

  it('lets a rolled-back position go: the reader goes on past it', async () => {
    const before = (await store.listEvents('0', 1000)).at(-1)?.position as string;
    const slow = new pg.Client({ connectionString: url, options: '-c search_path=wallet' });
    await slow.connect();
    try {
      await slow.query('BEGIN');
      await slow.query(
        `INSERT INTO outbox_events (id, type, aggregate_type, aggregate_id, payload, occurred_at)
         VALUES (gen_random_uuid(), 'WalletFrozen', 'wallet', gen_random_uuid(), '{}', now())`,
      );
      const wallet = await service.createWallet({ userId: 'order-user-2' });
      const reading = store.listEvents(before, 100);
      await slow.query('ROLLBACK');
      const rows = await reading;
      expect(rows.map((e) => e.row.aggregateId)).toEqual([wallet.id]);
    } finally {
      await slow.end();
    }
  });
});
