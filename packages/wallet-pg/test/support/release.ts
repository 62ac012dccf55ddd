import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { migrate, migrationsFolder } from '../../src/migrate.js';
import { PgliteDriver } from '../../src/pglite/driver.js';

/**
 * A PGlite database as an earlier release left it: migrated by the shipped folder with the journal
 * cut after `lastMigration`, its search path the store's schema, `rows` written as that release
 * wrote them. `upgrade()` applies the rest; `close()` removes everything.
 */
export async function databaseOfRelease(lastMigration: string, rows: string) {
  const dir = mkdtempSync(join(tmpdir(), 'wallet-release-'));
  cpSync(migrationsFolder(), dir, { recursive: true });
  const journalPath = join(dir, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: { tag: string }[] };
  const cut = journal.entries.findIndex((e) => e.tag === lastMigration);
  if (cut < 0) throw new Error(`no migration ${lastMigration} in the journal`);
  writeFileSync(journalPath, JSON.stringify({ ...journal, entries: journal.entries.slice(0, cut + 1) }));
  const db = await PGlite.create();
  const driver = new PgliteDriver(db, true);
  await migrate(driver, { folder: dir });
  await db.exec(`SET search_path TO "${driver.schema}"; ${rows}`);
  return {
    db,
    driver,
    upgrade: () => migrate(driver),
    close: async () => {
      await driver.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
