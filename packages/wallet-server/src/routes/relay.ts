import { ValidationError, schemas as s } from '@goodgo/wallet-core';
import { z } from 'zod';
import type { DeadLetter } from '@goodgo/wallet-pg';
import type { Deps } from '../deps.js';
import { route } from '../route.js';

const API = '/api/v1/wallets';

const sinkName = z.string().min(1).max(200);

/** The stored record (`DeadLetter`, dates as ISO strings) and the status read from it: `satisfies` keeps the two to one field list. */
const deadLetter = z
  .object({
    sink: z.string(),
    position: z.string(),
    eventId: z.uuid(),
    eventType: z.string(),
    attempts: z.int(),
    lastError: z.string(),
    createdAt: z.string(),
    status: z.enum(['dead', 'resending', 'redelivered']).meta({ description: 'resending: an admin asked for it and the relay has not sent it yet' }),
    resendRequestedAt: z.string().nullable(),
    redeliveredAt: z.string().nullable(),
  } satisfies Record<keyof DeadLetter | 'status', z.ZodType>)
  .meta({ id: 'DeadLetter' });

const deadLetters = route({
  method: 'get',
  path: `${API}/admin/dead-letters`,
  summary: `Events a relay sink gave up on after its retries, newest first (at most ${s.MAX_PAGE_SIZE}), with what became of a re-send`,
  role: 'admin',
  query: z.object({ sink: sinkName.optional() }),
  response: { status: 200, schema: z.object({ items: z.array(deadLetter) }).meta({ id: 'DeadLetterList' }) },
  handler: async ({ outbox }, r) => ({
    items: (outbox ? await outbox.deadLetters(s.MAX_PAGE_SIZE, r.query.sink) : []).map((d) => ({
      ...d,
      createdAt: d.createdAt.toISOString(),
      status: d.redeliveredAt ? ('redelivered' as const) : d.resendRequestedAt ? ('resending' as const) : ('dead' as const),
      resendRequestedAt: d.resendRequestedAt?.toISOString() ?? null,
      redeliveredAt: d.redeliveredAt?.toISOString() ?? null,
    })),
  }),
});

function configured(outbox: Deps['outbox'], sink: string): NonNullable<Deps['outbox']> {
  if (!outbox || !outbox.sinkNames().includes(sink)) {
    throw new ValidationError(`No sink named ${sink} is configured on this service`, [{ path: 'sink', message: 'is not a configured sink' }]);
  }
  return outbox;
}

const resend = route({
  method: 'post',
  path: `${API}/admin/dead-letters/resend`,
  summary:
    "Sends one dead letter (`position`) or all of a sink's again: the active relay sends them on its next round (within a second or so); the list then shows each as redelivered, or back to dead with the new error",
  role: 'admin',
  body: z.strictObject({ sink: sinkName, position: s.positionSchema.optional() }),
  response: {
    status: 200,
    schema: z
      .object({ requested: z.int().meta({ description: 'Letters marked for re-sending (0: none matched, or all were re-sent already)' }) })
      .meta({ id: 'ResendRequest' }),
  },
  handler: async ({ outbox }, r) => ({ requested: await configured(outbox, r.body.sink).resend(r.body.sink, r.body.position) }),
});

const sinkReport = z
  .object({
    name: z.string().meta({ description: 'The configured name: metrics and logs use it; a URL is never shown' }),
    target: z.string().meta({ description: 'Scheme, host and port of where it delivers' }),
    events: z.array(z.string()).nullable().meta({ description: 'The event types it takes; null: all' }),
    position: z.string().nullable().meta({ description: 'The outbox position it has settled up to; null before the relay first saw it' }),
    lagEvents: z.int(),
    lagSeconds: z.number(),
    consecutiveFailures: z.int(),
    lastError: z.string().nullable(),
    lastErrorAt: z.string().nullable(),
    failing: z.boolean(),
  })
  .meta({ id: 'RelaySink' });

const relayStatus = route({
  method: 'get',
  path: `${API}/admin/relay`,
  summary: "The outbox relay's sinks: position, lag in events and seconds, failure streak and last error (the same on every instance)",
  role: 'admin',
  response: {
    status: 200,
    schema: z
      .object({
        active: z.boolean().meta({ description: 'Whether the instance that answered is the active relay' }),
        head: z.string().meta({ description: 'The newest outbox position (0 when empty): the events feed resumes `after` it for new events only' }),
        sinks: z.array(sinkReport),
      })
      .meta({ id: 'RelayStatus' }),
  },
  handler: async ({ outbox }) => {
    const { active, head, sinks } = outbox ? await outbox.relay() : { active: false, head: '0', sinks: [] };
    return { active, head, sinks: sinks.map((sink) => ({ ...sink, events: sink.events ? [...sink.events] : null })) };
  },
});

export const relayRoutes = [relayStatus, deadLetters, resend];
