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
import { allCheckpoints, insertCheckpoints, latestCheckpoint, lockCheckpoints } from './sql/reconcile.js';
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

/**
 * Publishes the checkpoint `sign` makes, in the transaction of `session`: into the store, the
 * outbox and (when named) the operator's file, under a lock that makes one publisher at a time.
 * Each checkpoint signs the one before it, and a run signs what it walked since the checkpoint it
 * read at its start: when another run published after that (two `reconcile --checkpoint` at
 * once), this run's heads may be older than the newest ones and its `previous` no longer the last,
 * so it publishes nothing (false): the next run checkpoints. The file is written before the commit, under the
 * lock, so the file's order is the table's; a commit that fails after it leaves in the file a
 * checkpoint that is still true (it signs heads that were walked and verified).
 */
export async function publishCheckpoint(
  session: SqlSession,
  file: string | undefined,
  readAtStart: string | null,
  sign: () => LedgerCheckpoint[],
): Promise<boolean> {
  await session.query(lockCheckpoints.text, [], lockCheckpoints.name);
  const latest = await loadCheckpoints(session, file, true);
  if ((latest[latest.length - 1]?.id ?? null) !== readAtStart) return false;
  const parts = sign();
  await session.query(insertCheckpoints.text, [JSON.stringify(parts)], insertCheckpoints.name);
  const flush = eventsStatement(parts.map(checkpointEvent));
  if (flush !== null) await session.query(flush.statement.text, flush.params, flush.statement.name);
  if (file !== undefined) await appendCheckpoint(file, parts);
  return true;
}

/** Appends the parts to the operator's file and syncs it. */
async function appendCheckpoint(file: string, parts: readonly LedgerCheckpoint[]): Promise<void> {
  await appendFile(file, parts.map((p) => `${JSON.stringify(p)}\n`).join(''), { mode: 0o600 });
  const handle = await open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
