import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, migrationsFolder } from '../src/migrate.js';
import { SqlOutbox } from '../src/outbox.js';
import { PgliteDriver } from '../src/pglite/driver.js';
import { webhookNameOf } from '../../wallet-relay/src/sinks/webhook.js';

/** The migration before sinks were named by configuration. */
const PREVIOUS = '0010_offline_allowances';
const TOKEN = 'secret-token-in-the-query';
const URL_WITH_TOKEN = `https://hooks.example/in?token=${TOKEN}`;
// The name the relay gives a webhook configured by URL alone: the migration must compute the same.
const HASHED = webhookNameOf(URL_WITH_TOKEN);

describe('upgrading sink positions and dead letters keyed by URL', () => {
  let driver: PgliteDriver;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wallet-sinks-'));
    cpSync(migrationsFolder(), dir, { recursive: true });
    const journalPath = join(dir, 'meta', '_journal.json');
    const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: { tag: string }[] };
    const cut = journal.entries.findIndex((e) => e.tag === PREVIOUS);
    expect(cut).toBeGreaterThanOrEqual(0);
    writeFileSync(journalPath, JSON.stringify({ ...journal, entries: journal.entries.slice(0, cut + 1) }));
    driver = new PgliteDriver(await PGlite.create(), true);
    await migrate(driver, { folder: dir });
    await driver.query(`INSERT INTO outbox_sink_cursors (sink, position, updated_at) VALUES ($1, 41, now()), ('amqp:broker:5672/goodgo.wallet', 40, now())`, [
      `webhook:${URL_WITH_TOKEN}`,
    ]);
    await driver.query(
      `INSERT INTO outbox_dead_letters (sink, position, event_id, event_type, attempts, last_error, created_at)
       VALUES ($1, 7, '60000000-0000-4000-8000-000000000001', 'WalletCreated', 12, 'webhook answered 500', now())`,
      [`webhook:${URL_WITH_TOKEN}`],
    );
  });
  afterAll(async () => {
    await driver.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('renames them to the hashed name the relay gives that URL: positions and letters kept, the token gone', async () => {
    await migrate(driver);
    const outbox = new SqlOutbox(driver);
    expect(await outbox.cursor(HASHED)).toBe('41');
    expect(await outbox.cursor('amqp:broker:5672/goodgo.wallet')).toBe('40');
    expect((await outbox.listDeadLetters(10)).map((d) => [d.sink, d.position, d.attempts])).toEqual([[HASHED, '7', 12]]);
    const stored = JSON.stringify([await driver.query('SELECT * FROM outbox_sink_cursors'), await driver.query('SELECT * FROM outbox_dead_letters')]);
    expect(stored).not.toContain(TOKEN);
  });
});
