/** The outbox's statements: committed pages of events, the sinks' cursors and dead letters. @internal */
import { EVENT_COLUMNS, outboxDeadLetters, outboxEvents } from './columns.js';
import { named as s } from './statement.js';

/** See migration 0005_outbox_relay: the position below which every event is settled. Sent on its own, outside a transaction. */
export const outboxHorizon = s('outbox_horizon', 'SELECT wallet_outbox_horizon()::text AS horizon');
/** Events after a position, up to a horizon: a reader that follows these pages never skips one. */
export const listEvents = s('list_events', `SELECT ${EVENT_COLUMNS} FROM outbox_events WHERE seq > $1 AND seq <= $3 ORDER BY seq LIMIT $2`);
export const sinkCursor = s('sink_cursor', 'SELECT position::text AS position FROM outbox_sink_cursors WHERE sink = $1');
/** A sink's first position, kept if another instance stored one first. */
export const startSinkCursor = s(
  'start_sink_cursor',
  'INSERT INTO outbox_sink_cursors (sink, position, updated_at) VALUES ($1, $2, now()) ON CONFLICT (sink) DO NOTHING',
);
/** `$3` true: the sink got something through, which ends its failure streak (a dead letter does not). */
export const saveSinkCursor = s(
  'save_sink_cursor',
  `INSERT INTO outbox_sink_cursors (sink, position, updated_at) VALUES ($1, $2, now())
   ON CONFLICT (sink) DO UPDATE SET position = EXCLUDED.position, updated_at = EXCLUDED.updated_at,
     consecutive_failures = CASE WHEN $3::boolean THEN 0 ELSE outbox_sink_cursors.consecutive_failures END`,
);
export const recordSinkFailure = s(
  'record_sink_failure',
  'UPDATE outbox_sink_cursors SET consecutive_failures = consecutive_failures + 1, last_error = $2, last_error_at = now() WHERE sink = $1',
);
/**
 * Each named sink's position, failure streak and lag: the events after its position (counted up
 * to a cap, so a huge backlog costs a bounded scan) and the age of the oldest of them.
 */
export const sinkStates = s(
  'sink_states',
  `SELECT c.sink, c.position::text AS position, c.updated_at, c.consecutive_failures, c.last_error, c.last_error_at,
     (SELECT count(*) FROM (SELECT 1 FROM outbox_events e WHERE e.seq > c.position LIMIT $2) x)::int AS lag_events,
     (SELECT extract(epoch FROM now() - e.occurred_at)::float8 FROM outbox_events e WHERE e.seq > c.position ORDER BY e.seq LIMIT 1) AS lag_seconds
   FROM outbox_sink_cursors c WHERE c.sink = ANY($1::text[])`,
);
/** The newest position written (committed or not yet): where a reader that wants only new events starts. */
export const outboxHead = s('outbox_head', 'SELECT coalesce(max(seq), 0)::text AS head FROM outbox_events');
// The columns a dead letter is written with; the re-send columns are set by an admin and the relay later.
const DEAD_LETTER = outboxDeadLetters.written.filter((c) => c !== 'resend_requested_at' && c !== 'redelivered_at');
export const addDeadLetter = s(
  'add_dead_letter',
  `INSERT INTO outbox_dead_letters (${DEAD_LETTER.join(', ')}) VALUES ($1, $2, $3, $4, $5, $6, now())
   ON CONFLICT (sink, position) DO UPDATE SET attempts = EXCLUDED.attempts, last_error = EXCLUDED.last_error, resend_requested_at = NULL, redelivered_at = NULL`,
);
export const listDeadLetters = s(
  'list_dead_letters',
  `SELECT ${outboxDeadLetters.select()} FROM outbox_dead_letters
   WHERE ($2::text IS NULL OR sink = $2) ORDER BY created_at DESC, sink, position DESC LIMIT $1`,
);
/** Marks one dead letter (`$2`) or all of a sink's (`$2` null) for re-sending; a re-sent one stays as it is. */
export const requestResend = s(
  'request_resend',
  `UPDATE outbox_dead_letters SET resend_requested_at = now()
   WHERE sink = $1 AND ($2::bigint IS NULL OR position = $2::bigint) AND redelivered_at IS NULL RETURNING position::text AS position`,
);
/** The letters waiting to be re-sent, with their events (null when the outbox no longer holds it). */
export const pendingResends = s(
  'pending_resends',
  `SELECT d.position::text AS position, d.attempts, ${outboxEvents.select({ alias: 'e', omit: ['seq'] })}
   FROM outbox_dead_letters d LEFT JOIN outbox_events e ON e.seq = d.position
   WHERE d.sink = $1 AND d.resend_requested_at IS NOT NULL AND d.redelivered_at IS NULL ORDER BY d.position LIMIT $2`,
);
export const markRedelivered = s('mark_redelivered', 'UPDATE outbox_dead_letters SET redelivered_at = now() WHERE sink = $1 AND position = $2');
/** A re-send that failed goes back to waiting for an admin, with one more attempt counted. */
export const resendFailed = s(
  'resend_failed',
  'UPDATE outbox_dead_letters SET resend_requested_at = NULL, attempts = attempts + 1, last_error = $3 WHERE sink = $1 AND position = $2',
);
