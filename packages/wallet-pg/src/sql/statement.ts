/** Statement helpers, written once for every statement of the store. @internal */

/** A statement with the name it is prepared under. */
export interface Statement {
  readonly name: string;
  readonly text: string;
}

/** A statement prepared under `wallet_<name>`. */
export const named = (name: string, text: string): Statement => ({ name: `wallet_${name}`, text });

/** `('a', 'b')` from one of the core's lists (plain identifiers): the SQL cannot drift from the domain. */
export const sqlList = (values: readonly string[]): string => `(${values.map((v) => `'${v}'`).join(', ')})`;

/**
 * A subquery's rows as one JSON array: `[]`, not null, when there are none; in the order of
 * `orderBy` (columns of the subquery's rows, as `x.name`) when given. `json`, not `jsonb`: the
 * array is only ever sent to the client, and jsonb would parse every row's JSON again to store it
 * and print it once more (a 20-reader `user_balances` cost PostgreSQL 480–515 µs of CPU with
 * jsonb, 340–360 with json; docs/DESIGN.md, "Hot reads").
 */
export const jsonArray = (select: string, orderBy?: string): string =>
  `(SELECT coalesce(json_agg(row_to_json(x)${orderBy === undefined ? '' : ` ORDER BY ${orderBy}`}), '[]'::json) FROM (${select}) x)`;

/**
 * A batched read's rows as one row of one JSON array (`batch`), in the order of `orderBy` (columns
 * of the rows, as `b.name`) when given. The driver then parses one value instead of a row message
 * and a parser per column of every reader: in the client alone, 118–144 µs of CPU for a 10-key
 * `get_wallets` against 159–168 as rows (docs/DESIGN.md, "Hot reads"). Numbers that must not pass
 * through a float are text in the rows already (`Catalogue.select`).
 */
export const oneJsonRow = (select: string, orderBy?: string): string =>
  `SELECT coalesce(json_agg(b${orderBy === undefined ? '' : ` ORDER BY ${orderBy}`}), '[]') AS batch FROM (${select}) b`;

/** One prepared statement per shape: `make` runs once for each distinct `bits`. */
export function shapes<K extends string>(keys: readonly K[], make: (shape: Record<K, boolean>, id: string) => Statement) {
  const cache = new Map<string, Statement>();
  return (shape: Record<K, boolean>): Statement => {
    const bits = keys.map((k) => (shape[k] ? '1' : '0')).join('');
    let statement = cache.get(bits);
    if (!statement) {
      statement = make(shape, parseInt(bits, 2).toString(36));
      cache.set(bits, statement);
    }
    return statement;
  };
}
