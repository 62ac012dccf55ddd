/**
 * One column catalogue per table, read from the drizzle schema (`getTableConfig`): the schema is
 * the only place a column is written down. Select lists, recordset types, insert and update
 * statements, and the types of the rows the writer sends are all made from it. @internal
 */
import { getTableConfig, type PgTable } from 'drizzle-orm/pg-core';
import * as schema from '../schema.js';
import { jsonArray } from './statement.js';

/** The SQL names of a drizzle table's columns, as a union type. */
export type ColumnOf<T extends PgTable> = T['_']['columns'][keyof T['_']['columns']]['_']['name'];

/** Numbers that must never pass through a float travel as text. */
const AS_TEXT = /^(numeric|bigint)/;

export class Catalogue<C extends string> {
  readonly name: string;
  /** Every column, in the schema's order, with its SQL type. */
  readonly columns: readonly { readonly name: C; readonly type: string }[];
  /** The columns a writer supplies: all but identities. */
  readonly written: readonly C[];

  constructor(table: PgTable) {
    const config = getTableConfig(table);
    this.name = config.name;
    this.columns = config.columns.map((c) => ({ name: c.name as C, type: c.getSQLType() }));
    this.written = config.columns.filter((c) => !c.generatedIdentity).map((c) => c.name as C);
  }

  private typeOf(column: C): string {
    const found = this.columns.find((c) => c.name === column);
    if (!found) throw new Error(`${this.name} has no column ${column}`);
    return found.type;
  }

  /**
   * The select list of `columns` (default: all but `omit`), each qualified by `alias` when given,
   * numeric and bigint cast to text under their own names.
   */
  select(options: { alias?: string; omit?: readonly C[]; only?: readonly C[] } = {}): string {
    const prefix = options.alias === undefined ? '' : `${options.alias}.`;
    const names = options.only ?? this.columns.map((c) => c.name).filter((n) => !(options.omit ?? []).includes(n));
    return names.map((n) => (AS_TEXT.test(this.typeOf(n)) ? `${prefix}${n}::text AS ${n}` : `${prefix}${n}`)).join(', ');
  }

  /** `name type, …` of `columns`, for a recordset's column definition list. */
  types(columns: readonly C[]): string {
    return columns.map((c) => `${c} ${this.typeOf(c)}`).join(', ');
  }

  /**
   * An INSERT of the rows of one jsonb parameter (an array of objects keyed by column), in the
   * array's order when `ordered` (WITH ORDINALITY: the identity follows the order the rows were made).
   */
  insert(param: string, options: { ordered?: boolean; onConflict?: string } = {}): string {
    const list = this.written.join(', ');
    const from = options.ordered
      ? `ROWS FROM (jsonb_to_recordset(${param}::jsonb) AS (${this.types(this.written)})) WITH ORDINALITY AS x(${list}, ord)`
      : `jsonb_to_recordset(${param}::jsonb) AS x(${this.types(this.written)})`;
    return `INSERT INTO ${this.name} (${list}) SELECT ${list} FROM ${from}${options.ordered ? ' ORDER BY ord' : ''}${options.onConflict ? ` ${options.onConflict}` : ''} RETURNING 1`;
  }

  /** `ON CONFLICT (id) DO UPDATE` of `columns` from the row that conflicted. */
  upsert(columns: readonly C[]): string {
    return `ON CONFLICT (id) DO UPDATE SET ${columns.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}`;
  }

  /**
   * An UPDATE by id of `columns` from the rows of one jsonb parameter, each applied only to a row
   * still at the version it was loaded at (`loaded_version`). The id array lets the planner probe
   * the primary key; joined to the recordset alone it guesses 100 rows and scans the whole table.
   */
  update(columns: readonly C[], param: string, ids: string): string {
    const id = 'id' as C;
    return `UPDATE ${this.name} t SET ${columns.map((c) => `${c} = x.${c}`).join(', ')}
    FROM jsonb_to_recordset(${param}::jsonb) AS x(${this.types([id, ...columns])}, loaded_version int)
    WHERE t.id = ANY(${ids}::uuid[]) AND t.id = x.id AND t.version = x.loaded_version
    RETURNING 1`;
  }
}

const catalogue = <T extends PgTable>(table: T) => new Catalogue<ColumnOf<T>>(table);

export const wallets = catalogue(schema.wallets);
export const holds = catalogue(schema.holds);
export const allowances = catalogue(schema.allowances);
export const walletTransactions = catalogue(schema.walletTransactions);
export const pointAccounts = catalogue(schema.pointAccounts);
export const pointLots = catalogue(schema.pointLots);
export const pointTransactions = catalogue(schema.pointTransactions);
export const pointAllocations = catalogue(schema.pointAllocations);
export const outboxEvents = catalogue(schema.outboxEvents);
export const outboxDeadLetters = catalogue(schema.outboxDeadLetters);
export const idempotencyKeys = catalogue(schema.idempotencyKeys);

/** A row as the writer sends it: every column it supplies, by SQL name. */
export type WrittenRow<T extends PgTable, Omitted extends string = never> = Record<Exclude<ColumnOf<T>, 'seq' | Omitted>, unknown>;

// The select lists the reads share. Ledger and hold rows carry their identity as `position`, the
// keyset of their pages.
export const WALLET_COLUMNS = wallets.select();
export const ACCOUNT_COLUMNS = pointAccounts.select();
export const LOT_COLUMNS = pointLots.select();
export const POINT_TX_COLUMNS = pointTransactions.select({ omit: ['seq'] });
export const HOLD_COLUMNS = `h.seq::text AS position, ${holds.select({ alias: 'h', omit: ['seq'] })}`;
/** A wallet ledger row (`t`) with its wallet's currency (`w`); the hash and its key are the reconciliation's, not the reader's. */
export const WALLET_TX_COLUMNS = `t.seq::text AS position, ${walletTransactions.select({ alias: 't', omit: ['seq', 'hash', 'key_id'] })}, w.currency`;
export const POINT_TX_PAGE_COLUMNS = `seq::text AS position, ${POINT_TX_COLUMNS}`;
export const EVENT_COLUMNS = `seq::text AS position, ${outboxEvents.select({ omit: ['seq'] })}`;
export const ALLOWANCE_COLUMNS = `a.seq::text AS position, ${allowances.select({ alias: 'a', omit: ['seq'] })}`;
/** A wallet's (`w`) stored-active allowances as one JSON array, for reads that need no lock. */
export const ACTIVE_ALLOWANCES_JSON = `${jsonArray(
  `SELECT ${ALLOWANCE_COLUMNS} FROM allowances a WHERE w.active_allowances > 0 AND a.wallet_id = w.id AND a.status = 'active'`,
)} AS allowances`;
/**
 * A wallet's (`w`) stored-active holds as one JSON array, for reads that need no lock: only those
 * that still count at the instant `asOf` names (a parameter; null for all), since a wallet may
 * have any number past their expiry, unmarked.
 */
export const activeHoldsJson = (asOf: string) =>
  `${jsonArray(
    `SELECT ${HOLD_COLUMNS} FROM holds h WHERE w.active_holds > 0 AND h.wallet_id = w.id AND h.status = 'active' AND h.expires_at > coalesce(${asOf}::timestamptz, '-infinity')`,
  )} AS holds`;
