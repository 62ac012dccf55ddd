/**
 * How the facade runs a command: one unit of work of the store, with its idempotency key claimed,
 * replayed or completed inside it, and the locks it will take declared up front.
 */
import { SpanStatusCode, context, isSpanContextValid, trace, type Span } from '@opentelemetry/api';
import type { Actor, ChangeContext, Clock, IdGenerator } from './context.js';
import { IdempotencyConflictError, ValidationError, isWalletError } from './errors.js';
import { canonicalJson, isValidIdempotencyKey, markReplayed } from './idempotency.js';
import { commandMetadata, type Metadata, type WithMetadata } from './metadata.js';
import type { LimitPolicy } from './wallet/limits.js';
import type { FactReader, IdempotencyRequest, LockPlan, ResolvingLockPlan, UnitOfWork, WalletStore } from './store.js';

export interface CommandOptions {
  /** Makes a retry of this command safe: a replay returns the first result and changes nothing. */
  idempotencyKey?: string | undefined;
  /** Whose key it is (the server passes the caller's `sub`). Default `''`. */
  idempotencyScope?: string | undefined;
  /**
   * Acting on behalf of this user: a wallet or pending points of someone else is reported as not
   * found, exactly like one that does not exist. The facade enforces no roles; this only scopes.
   */
  asUser?: string | undefined;
  /** Who is acting, written on every ledger row and event of the command (the audit trail). Default `null`. */
  actor?: Actor | null | undefined;
  /** The request that caused the command, written on its events (the server passes its request id). */
  requestId?: string | undefined;
}

export interface QueryOptions {
  asUser?: string | undefined;
}

/**
 * What a command will lock and read under its locks, named before anything is locked: a store may
 * then commit it together with others (group commit).
 */
export type DeclaredLocks = Omit<LockPlan, 'idempotency'>;

export const NO_LOCKS = { wallets: [], pointAccounts: [] } as const satisfies DeclaredLocks;

/**
 * What a command locks when that depends on facts it must read first (a hold's wallet, a refunded
 * row's): the facts, read without a lock because they never change, then the locks they name.
 */
export interface Resolved<F> {
  resolve(facts: FactReader): Promise<F>;
  locks(facts: F): DeclaredLocks;
}

/** What commands run on. */
export interface CommandEnv {
  readonly store: WalletStore;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly limits?: LimitPolicy | undefined;
}

export interface Command<I extends WithMetadata, T, F> {
  /** Names the command in the idempotency fingerprint. */
  readonly name: string;
  /**
   * The validated input, for the fingerprint (its metadata included: a replay with other metadata
   * is a conflict). Its metadata labels every row and event the command writes: read here, once,
   * so that no command can forget it.
   */
  readonly input: I;
  readonly options: CommandOptions;
  /** `facts`: what the resolve step read (null for a command that declares its locks outright). */
  readonly run: (uow: UnitOfWork, ctx: ChangeContext, facts: F) => Promise<T>;
  readonly locks: DeclaredLocks | Resolved<F>;
}

/**
 * The claim a keyed command makes: the key (1-255 visible ASCII characters, checked here and
 * nowhere else), scoped to its caller, with a fingerprint of what was asked.
 */
function idempotencyRequest(
  { name, input, options }: Pick<Command<WithMetadata, unknown, unknown>, 'name' | 'input' | 'options'>,
  metadata: Metadata | null,
  clock: Clock,
): IdempotencyRequest | null {
  const { idempotencyKey: key, idempotencyScope, asUser } = options;
  if (key === undefined) return null;
  if (!isValidIdempotencyKey(key)) {
    throw new ValidationError('Idempotency key must be 1-255 visible ASCII characters', [
      { path: 'idempotencyKey', message: 'must be 1-255 visible ASCII characters' },
    ]);
  }
  const fingerprint = canonicalJson({ command: name, input: asked(input, metadata), asUser: asUser ?? null });
  return { scope: idempotencyScope ?? '', key, fingerprint, now: clock() };
}

/**
 * The input as the fingerprint sees it: `metadata: {}` says nothing, as no metadata does (both
 * write the same rows; a capture naming none books its hold's), so both fingerprint alike, and
 * alike with a key claimed before commands took metadata.
 */
function asked(input: unknown, metadata: Metadata | null): unknown {
  if (metadata !== null || typeof input !== 'object' || input === null || !Object.hasOwn(input, 'metadata')) return input;
  const copy: Record<string, unknown> = { ...input };
  delete copy['metadata'];
  return copy;
}

/**
 * Runs one command as one unit of work. With an idempotency key, the key is claimed first (a
 * concurrent duplicate waits for us), a committed replay is answered from storage, and our own
 * response is stored in the same unit as the change: there is no window where one is committed
 * without the other. A failing command rolls back its claim too, so it may be retried. A command
 * with a resolve step has its facts read first, once; `run` gets them.
 */
export function runCommand<I extends WithMetadata, T, F>(env: CommandEnv, command: Command<I, T, F>): Promise<T> {
  // A child of whatever span the caller has active (the server's request, the monolith's own):
  // only the API is used, so without an SDK registered by the application this records nothing.
  const parent = context.active();
  const span = tracer.startSpan(spanName(command.name), undefined, parent);
  // The API's no-op span with no trace behind it (no SDK, no traced caller): nothing to record,
  // and nothing for spans started inside to continue (they would start a trace of their own
  // either way), so it is not made the active span. Making it so cost a Context (a Map copy) and
  // two closures per command (docs/DESIGN.md, "Memory path").
  if (!span.isRecording() && !isSpanContextValid(span.spanContext())) return runTraced(env, command, span);
  return context.with(trace.setSpan(parent, span), runSpanned<I, T, F>, undefined, env, command, span);
}

/** `runTraced` with its outcome on `span`, which it ends. */
async function runSpanned<I extends WithMetadata, T, F>(env: CommandEnv, command: Command<I, T, F>, span: Span): Promise<T> {
  try {
    const result = await runTraced(env, command, span);
    span.setAttribute('wallet.outcome', 'OK');
    return result;
  } catch (e) {
    const code = isWalletError(e) ? e.code : 'INTERNAL_ERROR';
    span.setAttribute('wallet.outcome', code);
    // A refusal is the command's answer, not a failure of the service.
    if (code === 'INTERNAL_ERROR' || code === 'SERVICE_UNAVAILABLE') {
      span.setStatus({ code: SpanStatusCode.ERROR, message: code });
      if (e instanceof Error) span.recordException(e);
    }
    throw e;
  } finally {
    span.end();
  }
}

const SPAN_NAMES = new Map<string, string>();

/** `wallet.<command>`, written once per command name (a fixed set, named in the facade). */
function spanName(command: string): string {
  let name = SPAN_NAMES.get(command);
  if (name === undefined) SPAN_NAMES.set(command, (name = `wallet.${command}`));
  return name;
}

const tracer = trace.getTracer('@goodgo/wallet-core');

/** The wallets a command locks (or, for a resolving plan, found it must lock), on its span. */
function traceLocks(span: Span, locks: DeclaredLocks): void {
  if (!span.isRecording()) return;
  if (locks.wallets.length > 0) span.setAttribute('wallet.ids', [...locks.wallets]);
  if (locks.pointAccounts.length > 0) span.setAttribute('wallet.point_account.user_ids', [...locks.pointAccounts]);
}

/**
 * The declared locks with the key and the clock: written out, not spread (an object spread per
 * command is a slow generic copy); typed so that a field added to `LockPlan` must be added here.
 */
function lockPlan(locks: DeclaredLocks, idempotency: IdempotencyRequest | null, asOf: () => Date): LockPlan {
  const plan: { [K in keyof LockPlan]-?: LockPlan[K] } = {
    wallets: locks.wallets,
    pointAccounts: locks.pointAccounts,
    refundsOf: locks.refundsOf,
    pointTransactions: locks.pointTransactions,
    newWallets: locks.newWallets,
    bookedSpends: locks.bookedSpends,
    idempotency,
    asOf,
  };
  return plan;
}

async function runTraced<I extends WithMetadata, T, F>(env: CommandEnv, command: Command<I, T, F>, span: Span): Promise<T> {
  const { options, locks } = command;
  const metadata = commandMetadata(command.input.metadata);
  const request = idempotencyRequest(command, metadata, env.clock);
  let facts = null as F;
  const plan: LockPlan | ResolvingLockPlan =
    'resolve' in locks
      ? async (reader) => {
          facts = await locks.resolve(reader);
          const found = locks.locks(facts);
          traceLocks(span, found);
          return lockPlan(found, request, env.clock);
        }
      : lockPlan(locks, request, env.clock);
  if (!('resolve' in locks)) traceLocks(span, locks);
  let replayed = false;
  const unit = async (uow: UnitOfWork): Promise<T> => {
    // A store may run this unit again after a deadlock; every run starts from scratch.
    replayed = false;
    // The clock, read after this run's locks: by the store when it must know it before the unit
    // runs (to leave out holds expired by then), else here. Never cached across runs: a plan
    // outlives them (a unit set aside, failed with its batch, run again keeps it), and a run
    // with an earlier run's time could capture a hold expired since or date a row before others.
    const now = uow.now ?? env.clock();
    const ctx: ChangeContext = {
      now,
      newId: env.ids,
      actor: options.actor ?? null,
      requestId: options.requestId ?? null,
      metadata,
      limits: env.limits,
    };
    // Without a key there is nothing to do after the command: its promise is answered as it is,
    // not awaited (a suspended async frame per command cost more than the hand-over, measured).
    if (request === null) return command.run(uow, ctx, facts);
    const claim = await uow.claimIdempotencyKey(request);
    if (claim.status === 'replay') {
      if (claim.fingerprint !== request.fingerprint) throw new IdempotencyConflictError(request.key);
      replayed = true;
      return claim.response as T;
    }
    const value = await command.run(uow, ctx, facts);
    uow.completeIdempotencyKey(value);
    return value;
  };
  // Unkeyed, nothing is replayed: the unit's promise is the answer.
  if (request === null) return env.store.transaction(unit, plan);
  const result = await env.store.transaction(unit, plan);
  if (replayed) span.setAttribute('wallet.idempotency.replayed', true);
  return replayed ? markReplayed(result) : result;
}
