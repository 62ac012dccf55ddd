import type { SinkReport } from '@goodgo/wallet-relay';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** What the relay's gauges read at each scrape. */
interface RelaySource {
  relay(): Promise<{ sinks: SinkReport[] }>;
}

/**
 * The service's Prometheus metrics, on a registry of its own (no global state, so several apps
 * can live in one process, as they do in the tests). Only counts and durations: an amount never
 * becomes a float, not even in a metric.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly requestDuration = new Histogram({
    name: 'wallet_http_request_duration_seconds',
    help: 'HTTP request duration by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly moneyMovements = new Counter({
    name: 'wallet_money_movements_total',
    help: 'Committed wallet transactions by type and currency (replays not counted)',
    labelNames: ['type', 'currency'] as const,
    registers: [this.registry],
  });
  readonly pointMovements = new Counter({
    name: 'wallet_point_transactions_total',
    help: 'Committed point transactions by type (replays not counted)',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });
  readonly errors = new Counter({
    name: 'wallet_http_errors_total',
    help: 'Error responses by code',
    labelNames: ['code', 'status'] as const,
    registers: [this.registry],
  });
  readonly replays = new Counter({
    name: 'wallet_idempotent_replays_total',
    help: 'Requests answered from a stored idempotent response',
    registers: [this.registry],
  });
  readonly rateLimited = new Counter({
    name: 'wallet_rate_limited_total',
    help: 'Requests refused with 429 RATE_LIMITED, by the role the caller was counted under',
    labelNames: ['role'] as const,
    registers: [this.registry],
  });
  readonly rateLimiterFailOpen = new Counter({
    name: 'wallet_rate_limiter_fail_open_total',
    help: 'Requests let through unchecked because the rate limiter store (Redis) did not answer, by role',
    labelNames: ['role'] as const,
    registers: [this.registry],
  });

  readonly idempotencyKeysPurged = new Counter({
    name: 'wallet_idempotency_keys_purged_total',
    help: 'Idempotency keys deleted for being older than WALLET_IDEMPOTENCY_TTL',
    registers: [this.registry],
  });
  readonly idempotencyPurgeRuns = new Counter({
    name: 'wallet_idempotency_purge_runs_total',
    help: 'Runs of the idempotency key purge by outcome (ok, error)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly relayDelivered = new Counter({
    name: 'wallet_relay_events_delivered_total',
    help: 'Events the outbox relay delivered, by sink (a re-delivery after a crash counts again)',
    labelNames: ['sink'] as const,
    registers: [this.registry],
  });
  readonly relayDeadLetters = new Counter({
    name: 'wallet_relay_dead_letters_total',
    help: 'Events a sink gave up on after its retries, by sink',
    labelNames: ['sink'] as const,
    registers: [this.registry],
  });

  private relaySource: RelaySource | null = null;
  private relayScrape: { at: number; report: Promise<{ sinks: SinkReport[] } | null> } | null = null;
  /** Each relay gauge reads one figure of each sink; labelled by the sink's configured name only. */
  private relayGauge(name: string, help: string, value: (s: SinkReport) => number | null): Gauge<'sink'> {
    const report = () => this.relayReport();
    const gauge: Gauge<'sink'> = new Gauge({
      name,
      help,
      labelNames: ['sink'] as const,
      registers: [this.registry],
      async collect() {
        gauge.reset();
        for (const s of (await report())?.sinks ?? []) {
          const v = value(s);
          if (v !== null) gauge.set({ sink: s.name }, v);
        }
      },
    });
    return gauge;
  }
  readonly relayPosition = this.relayGauge('wallet_relay_sink_position', 'The outbox position each sink has settled up to', (s) =>
    s.position === null ? null : Number(s.position),
  );
  readonly relayLagEvents = this.relayGauge(
    'wallet_relay_sink_lag_events',
    'Events in the outbox after the sink position (counted up to one million)',
    (s) => s.lagEvents,
  );
  readonly relayLagSeconds = this.relayGauge(
    'wallet_relay_sink_lag_seconds',
    'Age of the oldest event a sink has not settled (0 when caught up)',
    (s) => s.lagSeconds,
  );
  readonly relayFailures = this.relayGauge(
    'wallet_relay_sink_consecutive_failures',
    'Failed delivery attempts in a row (0 after a success)',
    (s) => s.consecutiveFailures,
  );
  readonly relayFailing = this.relayGauge('wallet_relay_sink_failing', '1 when the sink keeps failing (health reports it degraded)', (s) =>
    s.failing ? 1 : 0,
  );
  readonly relayLastError = this.relayGauge('wallet_relay_sink_last_error_timestamp_seconds', 'When the sink last failed (Unix time)', (s) =>
    s.lastErrorAt === null ? null : Date.parse(s.lastErrorAt) / 1000,
  );

  /** Makes the relay gauges read `source` at each scrape (one database read per scrape, shared by the gauges). */
  watchRelay(source: RelaySource): void {
    this.relaySource = source;
  }

  private relayReport(): Promise<{ sinks: SinkReport[] } | null> {
    const source = this.relaySource;
    if (!source) return Promise.resolve(null);
    if (this.relayScrape && Date.now() - this.relayScrape.at < 1000) return this.relayScrape.report;
    // The database down: the gauges are left out of this scrape rather than failing /metrics.
    const report = source.relay().catch(() => null);
    this.relayScrape = { at: Date.now(), report };
    return report;
  }

  readonly reconciliationProblems = new Gauge({
    name: 'wallet_reconciliation_problems',
    help: 'Problems found by the last reconciliation run, by kind (0 when the books balance)',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly reconciliationLastRun = new Gauge({
    name: 'wallet_reconciliation_last_run_timestamp_seconds',
    help: 'When the last reconciliation run finished (Unix time)',
    registers: [this.registry],
  });

  /** Counts a committed money movement: its row, and the other row of a pair (a transfer's `transfer_in`, a transfer refund's `refund_out`). */
  countMoney(result: { wallet: { currency: string }; transaction: { type: string; transferId: string | null } }): void {
    const { type, transferId } = result.transaction;
    const currency = result.wallet.currency;
    this.moneyMovements.inc({ type, currency });
    if (transferId !== null) this.moneyMovements.inc({ type: type === 'refund_in' ? 'refund_out' : 'transfer_in', currency });
  }

  countPoints(result: { transaction: { type: string } }): void {
    this.pointMovements.inc({ type: result.transaction.type });
  }

  /** Records a reconciliation run: every kind is set, so a kind that went back to 0 shows 0. */
  recordReconciliation(report: { problems: readonly { kind: string }[]; checkedAt: string }, kinds: readonly string[]): void {
    for (const kind of kinds) this.reconciliationProblems.set({ kind }, report.problems.filter((p) => p.kind === kind).length);
    this.reconciliationLastRun.set(Date.parse(report.checkedAt) / 1000);
  }

  constructor(options: { defaultMetrics?: boolean; logLinesDropped?: (() => number) | undefined } = {}) {
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'wallet_' });
    const dropped = options.logLinesDropped;
    if (dropped) {
      new Counter({
        name: 'wallet_log_lines_dropped_total',
        help: 'Log lines dropped because the log consumer was too far behind (or gone); logging never waits for it',
        registers: [this.registry],
        collect() {
          this.reset();
          this.inc(dropped());
        },
      });
    }
  }
}
