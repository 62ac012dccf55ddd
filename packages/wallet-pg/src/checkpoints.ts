/**
 * Where the SQL stores keep the signed checkpoints of the ledger's chain heads, and how a run
 * publishes one: into `ledger_checkpoints` and the outbox (the event stream) in one transaction,
 * then, when the operator names one, appended to a file of one JSON line per part, written with
 * fsync. With a file, reconciliation trusts the file (the database's copy may have been edited by
 * whoever edited the ledger); without one, the table. @internal
 */
import { appendFile, open, readFile } from 'node:fs/promises';
import { checkpointEvent, type LedgerCheckpoint } from '@goodgo/wallet-core';
import type { SqlSession } from './driver.js';
import { allCheckpoints, insertCheckpoints, latestCheckpoint } from './sql/reconcile.js';
import { eventsStatement } from './sql/write.js';

const parse = (v: unknown): LedgerCheckpoint => (typeof v === 'string' ? JSON.parse(v) : v) as LedgerCheckpoint;

/** Reads the published checkpoints: all of them, or (`latest`) the parts of the last one. */
export async function loadCheckpoints(session: SqlSession, file: string | undefined, latest: boolean): Promise<LedgerCheckpoint[]> {
  if (file !== undefined) {
    let text = '';
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      if ((e as { code?: unknown }).code !== 'ENOENT') throw e;
    }
    const all = text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => parse(line));
    const last = all[all.length - 1];
    return latest && last !== undefined ? all.filter((c) => c.run === last.run) : all;
  }
  const statement = latest ? latestCheckpoint : allCheckpoints;
  return (await session.query(statement.text, [], statement.name)).map((r) => parse(r.body));
}

/** Records the parts in the store and the outbox, in the transaction of `session`. */
export async function recordCheckpoint(session: SqlSession, parts: readonly LedgerCheckpoint[]): Promise<void> {
  await session.query(insertCheckpoints.text, [JSON.stringify(parts)], insertCheckpoints.name);
  const flush = eventsStatement(parts.map(checkpointEvent));
  if (flush !== null) await session.query(flush.statement.text, flush.params, flush.statement.name);
}

/** Appends the parts to the operator's file and syncs it, after the database has committed them. */
export async function appendCheckpoint(file: string, parts: readonly LedgerCheckpoint[]): Promise<void> {
  await appendFile(file, parts.map((p) => `${JSON.stringify(p)}\n`).join(''), { mode: 0o600 });
  const handle = await open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
