/** The outbox's statements: committed pages of events, the sinks' cursors and dead letters. @internal */
import { EVENT_COLUMNS, outboxDeadLetters } from './columns.js';
import { named as s } from './statement.js';

/** See migration 0005_outbox_relay: the position below which every event is settled. Sent on its own, outside a transaction. */
export const outboxHorizon = s('outbox_horizon', 'SELECT wallet_outbox_horizon()::text AS horizon');
/** Events after a position, up to a horizon: a reader that follows these pages never skips one. */
export const listEvents = s('list_events', `SELECT ${EVENT_COLUMNS} FROM outbox_events WHERE seq > $1 AND seq <= $3 ORDER BY seq LIMIT $2`);
export const sinkCursor = s('sink_cursor', 'SELECT position::text AS position FROM outbox_sink_cursors WHERE sink = $1');
export const saveSinkCursor = s(
  'save_sink_cursor',
  `INSERT INTO outbox_sink_cursors (sink, position, updated_at) VALUES ($1, $2, now())
   ON CONFLICT (sink) DO UPDATE SET position = EXCLUDED.position, updated_at = EXCLUDED.updated_at`,
);
const DEAD_LETTER = outboxDeadLetters.written;
export const addDeadLetter = s(
  'add_dead_letter',
  `INSERT INTO outbox_dead_letters (${DEAD_LETTER.join(', ')}) VALUES ($1, $2, $3, $4, $5, $6, now())
   ON CONFLICT (sink, position) DO UPDATE SET attempts = EXCLUDED.attempts, last_error = EXCLUDED.last_error`,
);
export const listDeadLetters = s(
  'list_dead_letters',
  `SELECT ${outboxDeadLetters.select()} FROM outbox_dead_letters ORDER BY created_at DESC, sink, position DESC LIMIT $1`,
);
