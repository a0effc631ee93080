/**
 * Runs consumers: each lane takes its events inside the transaction that handles them (the row
 * lock is the lease), hands each to its handler there, retries failures with the consumer's
 * schedule and moves what cannot be handled to the dead letters.
 *
 * Guarantees, and how:
 * - At-least-once: a delivery row goes only when the transaction that handled it commits; any
 *   rollback (a failure, a crash, a lost connection, a restarted server) leaves it as it was.
 * - Exactly-once database effects: `dispatch.take` deletes the delivery and writes the inbox row
 *   in the handler's transaction; the inbox's primary key (consumer, event_id) refuses a second run.
 * - Order per (consumer, subject): a take locks only the oldest row of a subject (nothing earlier
 *   of the subject pending, in flight, backing off or dead), with `SKIP LOCKED`; a row taken by an
 *   open transaction is still seen by every other snapshot, so the subject's next row is no head:
 *   at most one event per subject is in flight across all processes (see `take` in
 *   DispatchMigrations).
 * - Crash accounting: a lane records what it holds (`dispatch.handling`, its own connection) before
 *   any handler runs; `dispatch.sweep` counts a lane that died holding one event as one
 *   `abandoned` for it, and isolates the events of a lane that died holding several.
 * - No deadlocks for correct handlers (a handler whose own transaction does not deadlock): a lane
 *   handles up to `transactionSize` events per transaction, but a batch never waits on a lock
 *   longer than `batchLockTimeout` (20 ms), and it stops starting handlers (and bounds each
 *   statement) at half of PostgreSQL's `deadlock_timeout`, so the deadlock detector (which runs
 *   only after a wait of `deadlock_timeout`) does not meet a batch in a cycle: a batch that would
 *   wait rolls back first, and its events are handled one per transaction (which wait normally).
 *   Batching only saves round trips; it never changes what locks a handler takes, nor their order
 *   within an event.
 * - Hung handlers: every handler transaction has a timeout shorter than the lane record's lease.
 *   Worker connections carry statement, lock and idle-in-transaction timeouts (`pool`).
 * - Wake-up: LISTEN on the dispatch channel (one notification wakes one idle lane), re-established
 *   when the connection drops, and polling every `pollInterval` whatever happens to notifications.
 * - Graceful shutdown: lanes stop taking and finish the event or batch they are in; past
 *   `shutdownTimeout` they are interrupted and their transactions roll back.
 */
import { PgClient } from "@effect/sql-pg"
import type * as Registry from "@tessera/envelope/Registry"
import {
  Cause,
  Clock,
  Config,
  Data,
  Duration,
  Effect,
  Exit,
  Fiber,
  Layer,
  Option,
  Pull,
  Queue,
  Ref,
  Schedule,
  Schema,
  type Scope
} from "effect"
import * as Reactivity from "effect/reactivity/Reactivity"
import { type SqlClient, SqlError } from "effect/sql"
import * as Consumer from "./Consumer.ts"
import { CHANNEL } from "./DispatchMigrations.ts"

export class WorkerStartError extends Data.TaggedError("WorkerStartError")<{
  readonly consumer: string
  readonly message: string
  readonly cause?: unknown
}> {}

/** A single event's transaction outlived the handler timeout: interrupted and rolled back. */
class HandlerTimedOut extends Data.TaggedError("HandlerTimedOut")<{}> {}

/** A batched transaction gave way (a lock wait, its time bound, a failure): replay it one by one. */
class BatchGaveWay extends Data.TaggedError("BatchGaveWay")<{ readonly reason: string }> {}

/** A handler failed (error, defect or timeout). */
class HandlerFailed extends Data.TaggedError("HandlerFailed")<{
  readonly position: bigint
  readonly rejected: boolean
  readonly timedOut: boolean
  readonly message: string
}> {}

/** The database went away under the handler (connection lost): not the handler's failure. */
class Unavailable extends Data.TaggedError("Unavailable")<{ readonly cause: unknown }> {}

export interface Hooks {
  /** Right after a lane took its events (in their transaction, its record written), before any handler ran. */
  readonly onClaimed?: ((count: number) => Effect.Effect<void>) | undefined
  /** After a handler transaction committed. */
  readonly onCommitted?: ((positions: ReadonlyArray<bigint>) => Effect.Effect<void>) | undefined
}

export interface Options {
  readonly registry: Registry.Registry
  /** Events a lane takes at once (default `TESSERA_DISPATCH_CLAIM_SIZE` or 16), at most one per subject; bounds `transactionSize`. */
  readonly claimSize?: number | undefined
  /** Lanes per consumer in this process (default `TESSERA_DISPATCH_CONCURRENCY` or 4). */
  readonly concurrency?: number | undefined
  /**
   * Events per batched handler transaction (default `TESSERA_DISPATCH_TRANSACTION_SIZE` or 16;
   * 1 = one transaction per event). A batch never waits on a lock and starts no handler after half
   * of PostgreSQL's `deadlock_timeout` (see `run`): if it would, it rolls back and its events are
   * handled one per transaction, so batching cannot make a correct handler deadlock.
   */
  readonly transactionSize?: number | undefined
  /**
   * How long a batched transaction may wait for one lock before it gives way (default 20 ms;
   * must stay below `deadlock_timeout`).
   */
  readonly batchLockTimeout?: Duration.Input | undefined
  /** Ignored since v2: every lane claims for itself (kept for old callers). */
  readonly loops?: number | undefined
  /**
   * The lease of a lane's record of what it holds (default `TESSERA_DISPATCH_LEASE` or 30 seconds):
   * past it, a lane whose transaction aborted without it clearing the record is taken as dead.
   */
  readonly leaseDuration?: Duration.Input | undefined
  /**
   * How long one handler transaction may take before it is interrupted, rolled back and counted
   * as a failure that timed out (default `TESSERA_DISPATCH_HANDLER_TIMEOUT` or a third of the
   * lease). Must leave a margin below the lease.
   */
  readonly handlerTimeout?: Duration.Input | undefined
  /** Poll this often even without notifications (default `TESSERA_DISPATCH_POLL_INTERVAL` or 1 second). */
  readonly pollInterval?: Duration.Input | undefined
  /**
   * Leases that expired while the event was being handled (the process crashed or hung) before
   * the event goes to the dead letters as `Abandoned` (default `TESSERA_DISPATCH_MAX_ABANDONED` or 5).
   */
  readonly maxAbandoned?: number | undefined
  /** Rows copied per transaction when a new subscription is backfilled (default 10,000). */
  readonly backfillBatch?: number | undefined
  /** How long shutdown waits for in-flight handlers (default: the handler timeout). */
  readonly shutdownTimeout?: Duration.Input | undefined
  readonly hooks?: Hooks | undefined
}

const TakenRow = Schema.Struct({
  position: Schema.BigInt,
  subject_key: Schema.String,
  created_at: Schema.Date,
  failures: Schema.Number,
  abandoned: Schema.Number,
  isolate: Schema.Boolean,
  fresh: Schema.Boolean,
  xid: Schema.String,
  first_position: Schema.NullOr(Schema.BigInt),
  event_id: Schema.String,
  event_type: Schema.String,
  event_version: Schema.Number,
  producer: Schema.String,
  organization_id: Schema.String,
  subject_type: Schema.String,
  subject_id: Schema.String,
  actor_type: Schema.Literals(["user", "service", "system"]),
  actor_id: Schema.String,
  correlation_id: Schema.String,
  causation_id: Schema.NullOr(Schema.String),
  traceparent: Schema.NullOr(Schema.String),
  occurred_at: Schema.Date,
  recorded_at: Schema.Date,
  payload: Schema.Unknown
})
type TakenRow = typeof TakenRow.Type
const decodeTaken = Schema.decodeUnknownEffect(Schema.Array(TakenRow))

const Subscription = Schema.Struct({
  event_type: Schema.String,
  backfill_to: Schema.BigInt,
  backfilled_through: Schema.BigInt
})
const decodeSubscriptions = Schema.decodeUnknownEffect(Schema.Array(Subscription))

const bigintArray = (values: ReadonlyArray<bigint>) => `{${values.join(",")}}`
const textArray = (values: ReadonlyArray<string>) => `{${values.map((value) => JSON.stringify(value)).join(",")}}`

const toStored = (row: TakenRow): Consumer.StoredEvent => ({
  envelope: {
    event_id: row.event_id,
    event_type: row.event_type,
    event_version: row.event_version,
    occurred_at: row.occurred_at.toISOString(),
    recorded_at: row.recorded_at.toISOString(),
    producer: row.producer,
    organization_id: row.organization_id,
    subject: { type: row.subject_type, id: row.subject_id },
    actor: { type: row.actor_type, id: row.actor_id },
    correlation_id: row.correlation_id,
    causation_id: row.causation_id,
    ...(row.traceparent === null ? {} : { traceparent: row.traceparent })
  },
  payload: row.payload,
  attempt: row.failures + row.abandoned + 1
})

/**
 * The delay before the next attempt after `attempts` failed ones, or none when the schedule is
 * exhausted. The schedule is stepped from its start each time: the failure count is stored in the
 * delivery row, so any process can pick the retry up.
 */
export const retryDelay = (
  schedule: Schedule.Schedule<unknown, unknown>,
  attempts: number,
  error: unknown
): Effect.Effect<Option.Option<Duration.Duration>> =>
  Effect.gen(function* () {
    const step = yield* Schedule.toStep(schedule)
    const now = yield* Clock.currentTimeMillis
    let delay = Duration.zero
    for (let i = 0; i < attempts; i++) {
      const next = yield* step(now, error).pipe(
        Effect.map(([, duration]) => Option.some(duration)),
        Pull.catchDone(() => Effect.succeed(Option.none<Duration.Duration>())),
        Effect.orElseSucceed(() => Option.none<Duration.Duration>())
      )
      if (Option.isNone(next)) return Option.none()
      delay = next.value
    }
    return Option.some(delay)
  })

// --- configuration ------------------------------------------------------------------------------

const settings = Effect.all({
  claimSize: Config.Int("TESSERA_DISPATCH_CLAIM_SIZE").pipe(Config.withDefault(16)),
  concurrency: Config.Int("TESSERA_DISPATCH_CONCURRENCY").pipe(Config.withDefault(4)),
  transactionSize: Config.Int("TESSERA_DISPATCH_TRANSACTION_SIZE").pipe(Config.withDefault(16)),
  lease: Config.Duration("TESSERA_DISPATCH_LEASE").pipe(Config.withDefault(Duration.seconds(30))),
  handlerTimeout: Config.option(Config.Duration("TESSERA_DISPATCH_HANDLER_TIMEOUT")),
  poll: Config.Duration("TESSERA_DISPATCH_POLL_INTERVAL").pipe(Config.withDefault(Duration.seconds(1))),
  maxAbandoned: Config.Int("TESSERA_DISPATCH_MAX_ABANDONED").pipe(Config.withDefault(5))
})

/** What the worker needs from the pool's settings; see `pool`. */
export interface PoolSettings {
  /** Connections in the workers' pool (`TESSERA_DISPATCH_POOL_SIZE`, 20; opened as lanes need them). */
  readonly size: number
  /** `statement_timeout` of worker connections (`TESSERA_DISPATCH_STATEMENT_TIMEOUT`, 10 s). */
  readonly statementTimeout: Duration.Duration
  /** `lock_timeout` (`TESSERA_DISPATCH_LOCK_TIMEOUT`, 5 s). */
  readonly lockTimeout: Duration.Duration
  /** `idle_in_transaction_session_timeout` (`TESSERA_DISPATCH_IDLE_IN_TRANSACTION_TIMEOUT`, 15 s). */
  readonly idleInTransactionTimeout: Duration.Duration
  /**
   * `synchronous_commit` of worker connections (`TESSERA_DISPATCH_SYNCHRONOUS_COMMIT`, off). Off
   * is safe for the dispatcher's guarantees: a handler transaction carries its effects, its inbox
   * row and its acknowledgement, so a commit lost in a PostgreSQL crash loses all three together
   * and the (durably published) event is simply delivered again. WAL is replayed in order, so a
   * later commit never survives an earlier lost one. Turn it on when a handler's effects must be
   * durable the moment it commits (e.g. it calls out to a system that will not hear it twice).
   */
  readonly synchronousCommit?: boolean | undefined
}

export const poolSettings: Effect.Effect<PoolSettings, Config.ConfigError> = Effect.all({
  size: Config.Int("TESSERA_DISPATCH_POOL_SIZE").pipe(Config.withDefault(20)),
  statementTimeout: Config.Duration("TESSERA_DISPATCH_STATEMENT_TIMEOUT").pipe(
    Config.withDefault(Duration.seconds(10))
  ),
  lockTimeout: Config.Duration("TESSERA_DISPATCH_LOCK_TIMEOUT").pipe(Config.withDefault(Duration.seconds(5))),
  idleInTransactionTimeout: Config.Duration("TESSERA_DISPATCH_IDLE_IN_TRANSACTION_TIMEOUT").pipe(
    Config.withDefault(Duration.seconds(15))
  ),
  synchronousCommit: Config.Boolean("TESSERA_DISPATCH_SYNCHRONOUS_COMMIT").pipe(Config.withDefault(false))
})

const millis = (duration: Duration.Duration) => `${Math.max(1, Math.round(Duration.toMillis(duration)))}ms`

/**
 * The workers' own pool: a `PgClient` (and `SqlClient`) to the same database as the process's
 * pool, sized by `TESSERA_DISPATCH_POOL_SIZE`, whose connections carry `statement_timeout`,
 * `lock_timeout` and `idle_in_transaction_session_timeout` (nothing sets them by default, and a
 * handler stuck in a transaction would otherwise hold its row locks forever). Provide it to the
 * workers layer *and* the services its handlers use, so the handlers' statements run in the
 * delivery's transaction on this pool, and event load cannot starve the HTTP side's pool:
 *
 *     LearningApp.workers().pipe(Layer.provide(Worker.pool))
 *
 * It reads the URL and credentials from the `PgClient` it is given. Define it once (it is).
 */
export const pool: Layer.Layer<PgClient.PgClient | SqlClient.SqlClient, SqlError.SqlError, PgClient.PgClient> =
  Layer.unwrap(
    Effect.gen(function* () {
      const base = yield* PgClient.PgClient
      const options = yield* poolSettings.pipe(Effect.orDie)
      return poolLayer(base.config, options)
    })
  )

/** A worker pool to the database `config` points at, with `options`. */
export const poolLayer = (config: PgClient.PgClientConfig, options: PoolSettings) =>
  PgClient.layer({
    ...config,
    maxConnections: options.size,
    applicationName: "tessera-dispatch",
    startupParameters: {
      ...config.startupParameters,
      statement_timeout: millis(options.statementTimeout),
      lock_timeout: millis(options.lockTimeout),
      idle_in_transaction_session_timeout: millis(options.idleInTransactionTimeout),
      synchronous_commit: options.synchronousCommit === true ? "on" : "off"
    }
  })

// --- subscriptions and backfill -----------------------------------------------------------------

/**
 * Registers the consumer's subscriptions and backfills new ones with every earlier event of their
 * types still stored (a producer may well have run first; what retention removed is gone).
 *
 * Delivery rows are otherwise written by the publishing transaction, so the registration must not
 * race a publish: it takes `SHARE` on the events table only to commit the subscription and fix
 * the high-water mark (the last position taken), with a short `lock_timeout` (retried). `SHARE`
 * waits for the publishes in flight, so every event up to the mark is committed, and every later
 * one sees the subscription. The copy then runs outside any table lock, in batches of positions
 * read through `events_type_position`, each batch committing its progress: it is resumable by any
 * process of the consumer and idempotent (existing deliveries, handled events in the inbox and
 * dead letters are skipped). Claims start only once the copy is done, so a subject's older
 * events are never overtaken by newer ones.
 */
export const subscribe = (
  sql: SqlClient.SqlClient,
  consumer: string,
  eventTypes: ReadonlyArray<string>,
  batch: number,
  sequence: Consumer.Sequence = "subject"
): Effect.Effect<number, SqlError.SqlError> =>
  Effect.gen(function* () {
    const types = textArray(eventTypes)
    // A changed ordering key applies to events published from now on.
    yield* sql`
      UPDATE dispatch.subscriptions SET sequence = ${sequence}
      WHERE consumer = ${consumer} AND event_type = ANY(${types}::text[]) AND sequence <> ${sequence}`
    yield* sql
      .withTransaction(
        Effect.gen(function* () {
          const missing = yield* sql`
            SELECT t FROM unnest(${types}::text[]) AS t
            WHERE NOT EXISTS (SELECT 1 FROM dispatch.subscriptions s WHERE s.event_type = t AND s.consumer = ${consumer})`
          if (missing.length === 0) return
          yield* sql`SELECT set_config('lock_timeout', '200ms', true)`
          yield* sql`LOCK TABLE dispatch.events IN SHARE MODE`
          yield* sql`
            INSERT INTO dispatch.subscriptions (event_type, consumer, backfill_to, backfilled_through, sequence)
            SELECT t, ${consumer}, COALESCE((SELECT max(position) FROM dispatch.events), 0), 0, ${sequence}
            FROM unnest(${types}::text[]) AS t
            ON CONFLICT DO NOTHING`
        })
      )
      .pipe(
        Effect.retry({
          while: (error) => error.reason._tag === "LockTimeoutError",
          schedule: Schedule.exponential("50 millis").pipe(Schedule.jittered, Schedule.upTo({ times: 30 }))
        })
      )
    let copied = 0
    for (;;) {
      const pending = yield* sql`
        SELECT event_type, backfill_to, backfilled_through FROM dispatch.subscriptions
        WHERE consumer = ${consumer} AND event_type = ANY(${types}::text[]) AND backfilled_through < backfill_to
        ORDER BY event_type`.pipe(Effect.flatMap(decodeSubscriptions), Effect.orDie)
      const next = pending[0]
      if (next === undefined) break
      const upTo =
        next.backfilled_through + BigInt(batch) < next.backfill_to
          ? next.backfilled_through + BigInt(batch)
          : next.backfill_to
      const rows = yield* sql.withTransaction(
        Effect.gen(function* () {
          const [inserted] = yield* sql<{ readonly copied: number }>`
            WITH copied AS (
              INSERT INTO dispatch.deliveries (consumer, position, subject_key)
              SELECT ${consumer}, e.position,
                ${sequence === "actor" ? sql`e.actor_type || ':' || e.actor_id` : sql`e.subject_type || ':' || e.subject_id`}
              FROM dispatch.events e
              WHERE e.event_type = ${next.event_type} AND e.position > ${next.backfilled_through} AND e.position <= ${upTo}
                AND NOT EXISTS (SELECT 1 FROM dispatch.inbox i WHERE i.consumer = ${consumer} AND i.event_id = e.event_id)
                AND NOT EXISTS (SELECT 1 FROM dispatch.dead_letters x WHERE x.consumer = ${consumer} AND x.position = e.position)
              ORDER BY e.position
              ON CONFLICT DO NOTHING
              RETURNING 1
            )
            SELECT count(*)::int AS copied FROM copied`
          yield* sql`
            UPDATE dispatch.subscriptions SET backfilled_through = GREATEST(backfilled_through, ${upTo})
            WHERE consumer = ${consumer} AND event_type = ${next.event_type}`
          return inserted?.copied ?? 0
        })
      )
      copied += rows
    }
    if (copied > 0) yield* Effect.logInfo(`${consumer}: new subscription, ${copied} earlier event(s) to deliver`)
    return copied
  })

// --- running a consumer -------------------------------------------------------------------------

/**
 * Where a consumer's takes start reading, per process: the oldest position a take saw at least
 * `FLOOR_LAG` ago (a take sees rows in flight and backing off, which keep it low; a publish that
 * took its position earlier but committed within `FLOOR_LAG` is above it). Without it every take
 * walks the dead index entries of the rows handled since the last vacuum, which a pinned xmin keeps
 * for as long as it is pinned: the front of a queue table. Every `FLOOR_RESET` the sweeper looks
 * below the floor (a read that walks those entries: once, off the lanes' path) for rows that
 * appeared there (a publish that committed more than `FLOOR_LAG` after taking its position, a
 * replay in skip mode, a backfill for a consumer already running elsewhere) and lowers it: such a
 * row may be handled after later events of its ordering key.
 */
const FLOOR_LAG = 1_000
const FLOOR_RESET = 30_000

const makeFloor = () => {
  let floor = 0n
  const seen: Array<readonly [number, bigint]> = []
  return {
    at: (now: number): bigint => {
      while (seen.length > 0 && (seen[0]?.[0] ?? now) <= now - FLOOR_LAG) {
        const observed = seen.shift()
        if (observed !== undefined && observed[1] > floor) floor = observed[1]
      }
      return floor
    },
    observe: (now: number, first: bigint) => {
      const last = seen[seen.length - 1]
      // One observation per 50 ms is plenty.
      if (last === undefined || now - last[0] >= 50) seen.push([now, first])
    },
    /** A row found below the floor: takes start there again. */
    lower: (position: bigint) => {
      if (position < floor) {
        floor = position
        seen.length = 0
      }
    },
    current: (): bigint => floor
  }
}

/** After a batch gave way, a lane handles one event per transaction for this long. */
const SINGLES_AFTER_GIVING_WAY = 10_000

/** The SQLSTATE a server error carried (the driver copies the error fields onto its cause). */
const sqlState = (error: SqlError.SqlError): string | undefined => {
  const cause = error.reason.cause
  return typeof cause === "object" && cause !== null && "code" in cause && typeof cause.code === "string"
    ? cause.code
    : undefined
}

/**
 * The connection went away (class 08), or the server shut down or restarted (57P01–57P03): not
 * the handler's failure. (A session killed for idling in its transaction, 25P03, is: the handler
 * sat on its transaction too long.)
 */
const isConnectionLoss = (cause: Cause.Cause<unknown>) =>
  Option.exists(
    Cause.findErrorOption(cause),
    (error) =>
      SqlError.isSqlError(error) &&
      (error.reason._tag === "ConnectionError" || /^57P0[123]$/.test(sqlState(error) ?? ""))
  )

const isStatementTimeout = (cause: Cause.Cause<unknown>) =>
  Option.exists(
    Cause.findErrorOption(cause),
    (error) => SqlError.isSqlError(error) && error.reason._tag === "StatementTimeoutError"
  )

export const run = <R>(
  consumer: Consumer.Consumer<R>,
  options: Options
): Effect.Effect<void, WorkerStartError | SqlError.SqlError, R | PgClient.PgClient | Scope.Scope> =>
  Effect.gen(function* () {
    const problems = Consumer.check(consumer, options.registry)
    if (problems.length > 0) {
      return yield* new WorkerStartError({ consumer: consumer.name, message: problems.join("; ") })
    }
    const config = yield* settings.pipe(
      Effect.mapError(
        (cause) => new WorkerStartError({ consumer: consumer.name, message: `bad dispatch config: ${cause}`, cause })
      )
    )
    const name = consumer.name
    const claimSize = Math.max(1, options.claimSize ?? config.claimSize)
    const maxAbandoned = Math.max(1, options.maxAbandoned ?? config.maxAbandoned)
    const concurrency = Math.max(1, options.concurrency ?? consumer.concurrency ?? config.concurrency)
    const lease = Duration.fromInputUnsafe(options.leaseDuration ?? config.lease)
    const leaseMillis = Duration.toMillis(lease)
    const handlerTimeout = Duration.fromInputUnsafe(
      options.handlerTimeout ?? Option.getOrElse(config.handlerTimeout, () => Duration.millis(leaseMillis / 3))
    )
    const handlerTimeoutMillis = Duration.toMillis(handlerTimeout)
    // A handling transaction ends (commits, or is interrupted at the handler timeout) well before
    // its lane record's lease: past the lease an aborted transaction's record counts as a death.
    const margin = Math.min(1000, leaseMillis / 10)
    if (handlerTimeoutMillis + margin > leaseMillis) {
      return yield* new WorkerStartError({
        consumer: name,
        message: `the handler timeout (${Duration.format(handlerTimeout)}) must be shorter than the lease (${Duration.format(lease)}) by ${margin} ms`
      })
    }
    const pollInterval = Duration.fromInputUnsafe(options.pollInterval ?? config.poll)
    const shutdownTimeout = Duration.fromInputUnsafe(options.shutdownTimeout ?? handlerTimeout)
    const backfillBatch = Math.max(1, options.backfillBatch ?? 10_000)
    const strict = consumer.order === "strict"
    const hooks = options.hooks ?? {}
    // A lane takes what it handles in one transaction: claim size and transaction size are one bound.
    const transactionSize = Math.max(
      1,
      Math.min(claimSize, options.transactionSize ?? consumer.transactionSize ?? config.transactionSize)
    )

    const pg = yield* PgClient.PgClient
    const sql: SqlClient.SqlClient = pg

    // Batches are bounded by PostgreSQL's deadlock_timeout: a batch waits at most
    // `batchLockTimeout` for a lock, and starts no handler (and runs no statement longer) than half
    // of deadlock_timeout, so its own waits never last long enough for the deadlock detector, and
    // waits on its locks rarely do (a handler's non-SQL work can still stretch a batch).
    const [deadlockSetting] = yield* sql<{ readonly ms: number }>`
      SELECT (EXTRACT(EPOCH FROM current_setting('deadlock_timeout')::interval) * 1000)::float8 AS ms`
    const deadlockMillis = deadlockSetting?.ms ?? 1000
    const batchLockMillis = Math.max(
      1,
      Math.round(
        Math.min(
          Duration.toMillis(Duration.fromInputUnsafe(options.batchLockTimeout ?? Duration.millis(20))),
          deadlockMillis / 4
        )
      )
    )
    const batchMillis = Math.max(1, Math.round(Math.min(deadlockMillis / 2, handlerTimeoutMillis)))
    const services = yield* Effect.context<R>()
    // The lanes' records (see `journal`) go through a connection of their own: a lane writes its
    // record while its transaction holds a connection of the pool, so sharing the pool would let
    // lanes starve each other of the second connection.
    const records: SqlClient.SqlClient = yield* PgClient.make({
      ...pg.config,
      maxConnections: 1,
      applicationName: "tessera-dispatch-lanes"
    }).pipe(Effect.provide(Reactivity.layer))
    const handlers = new Map(consumer.handlers.map((handler) => [handler.definition.type, handler]))

    yield* subscribe(sql, name, [...handlers.keys()], backfillBatch, consumer.sequence)

    const floor = makeFloor()
    const stopping = yield* Ref.make(false)
    // One wake-up wakes one idle lane; a lane that took a full batch wakes the next one.
    const wake = yield* Queue.dropping<void>(concurrency)
    const wakeOne = Effect.asVoid(Queue.offer(wake, undefined))
    const wakeAll = Effect.asVoid(
      Queue.offerAll(
        wake,
        Array.from({ length: concurrency }, () => undefined)
      )
    )

    // --- taking events ------------------------------------------------------------------------

    /**
     * Takes up to `limit` heads of subjects (or only `positions`) in the current transaction: see
     * `dispatch.take` (locked, deleted, inbox rows written, events returned, in one statement).
     */
    const take = (limit: number, positions: ReadonlyArray<bigint> | undefined) =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        const rows =
          yield* sql`SELECT t.delivery_position AS position, t.* FROM dispatch.take(${name}, ${limit}, ${positions === undefined ? null : bigintArray(positions)}::bigint[], ${limit > 1 ? batchLockMillis : 0}, ${limit > 1 ? batchMillis : 0}, ${floor.at(now).toString()}::bigint) t`.pipe(
            Effect.flatMap(decodeTaken),
            Effect.mapError((cause) => new Unavailable({ cause }))
          )
        const first = rows[0]?.first_position
        if (first !== undefined && first !== null) floor.observe(now, first)
        return rows
      })

    /**
     * The lane's record of what it holds (on a connection of its own, committed before any handler
     * starts): if its process dies, `dispatch.sweep` finds it (see DispatchMigrations).
     */
    const journal = (lane: string, rows: ReadonlyArray<TakenRow>) => {
      const first = rows[0]
      return first === undefined
        ? Effect.void
        : records`
            INSERT INTO dispatch.handling (lane, consumer, xid, positions, expires_at)
            VALUES (${lane}, ${name}, ${first.xid}::xid8, ${bigintArray(rows.map((r) => r.position))}::bigint[],
              now() + ${leaseMillis} * interval '1 millisecond')`.pipe(
            Effect.asVoid,
            Effect.mapError((cause) => new Unavailable({ cause }))
          )
    }

    /**
     * After a rollback the lane survived: what it held is back as it was, nothing to count.
     * Retried until the database answers (within the lease: past it, the sweep would count it).
     */
    const clearJournal = (lane: string, xid: string | undefined) =>
      xid === undefined
        ? Effect.void
        : records`DELETE FROM dispatch.handling WHERE xid = ${xid}::xid8 AND lane = ${lane}`.pipe(
            Effect.asVoid,
            Effect.retry(Schedule.spaced("200 millis").pipe(Schedule.upTo({ duration: lease }))),
            Effect.catch((error) => Effect.logWarning(`${name}: clearing a lane's record failed`, error))
          )

    const sweep = sql`SELECT dispatch.sweep(${name}, ${maxAbandoned}, ${strict}) AS found`.pipe(
      Effect.asVoid,
      Effect.catchCause((cause) =>
        Cause.hasInterruptsOnly(cause) ? Effect.interrupt : Effect.logWarning(`${name}: sweeping failed`, cause)
      )
    )

    // --- settling rows (inside the handling transaction) --------------------------------------

    /** Puts a taken row back, as it was or with `changes` (its inbox row withdrawn). */
    const putBack = (
      rows: ReadonlyArray<TakenRow>,
      changes: {
        readonly failures?: number
        readonly delayMillis?: number
        readonly error?: string
        readonly dead?: boolean
      } = {}
    ) =>
      rows.length === 0
        ? Effect.void
        : sql`
            WITH restored AS (
              INSERT INTO dispatch.deliveries (consumer, position, subject_key, created_at, available_at, failures,
                abandoned, isolate, dead, last_error)
              SELECT ${name}, r.position, r.subject_key, r.created_at,
                now() + ${changes.delayMillis ?? 0} * interval '1 millisecond',
                COALESCE(${changes.failures ?? null}::int, r.failures), r.abandoned, r.isolate, ${changes.dead === true},
                ${changes.error ?? null}
              FROM unnest(${bigintArray(rows.map((r) => r.position))}::bigint[], ${textArray(rows.map((r) => r.subject_key))}::text[],
                ${`{${rows.map((r) => JSON.stringify(r.created_at.toISOString())).join(",")}}`}::timestamptz[],
                ${`{${rows.map((r) => r.failures).join(",")}}`}::int[], ${`{${rows.map((r) => r.abandoned).join(",")}}`}::int[],
                ${`{${rows.map((r) => r.isolate).join(",")}}`}::boolean[])
                AS r(position, subject_key, created_at, failures, abandoned, isolate)
              RETURNING 1
            )
            DELETE FROM dispatch.inbox
            WHERE consumer = ${name} AND event_id = ANY(${`{${rows.map((r) => r.event_id).join(",")}}`}::uuid[])`.pipe(
            Effect.asVoid,
            Effect.mapError((cause) => new Unavailable({ cause }))
          )

    /** Moves a taken row to the dead letters (strict: it also stays, dead, blocking its subject). */
    const deadLetter = (
      row: TakenRow,
      reason: string,
      error: string,
      counts: { readonly failures: number; readonly abandoned: number }
    ) =>
      Effect.gen(function* () {
        if (strict) yield* putBack([row], { failures: counts.failures, error, dead: true })
        else
          yield* sql`DELETE FROM dispatch.inbox WHERE consumer = ${name} AND event_id = ${row.event_id}::uuid`.pipe(
            Effect.mapError((cause) => new Unavailable({ cause }))
          )
        yield* sql`
          INSERT INTO dispatch.dead_letters (consumer, position, subject_key, reason, error, attempts, failures, abandoned)
          VALUES (${name}, ${row.position}, ${row.subject_key}, ${reason}, ${error}, ${counts.failures + counts.abandoned},
            ${counts.failures}, ${counts.abandoned})
          ON CONFLICT (consumer, position) DO UPDATE
            SET reason = excluded.reason, error = excluded.error, attempts = excluded.attempts,
              failures = excluded.failures, abandoned = excluded.abandoned, status = 'dead', dead_at = now(),
              discarded_at = NULL, discard_reason = NULL`.pipe(Effect.mapError((cause) => new Unavailable({ cause })))
        yield* Effect.logWarning(
          `${name}: ${row.event_type}@${row.event_version} ${row.event_id} → dead letter (${reason})`
        )
      })

    /** A failed attempt: retried after the schedule's delay, or a dead letter. */
    const failed = (row: TakenRow, failure: HandlerFailed) =>
      Effect.gen(function* () {
        const failures = row.failures + 1
        const counts = { failures, abandoned: row.abandoned }
        if (failure.rejected) return yield* deadLetter(row, "Rejected", failure.message, counts)
        const delay = yield* retryDelay(consumer.retry, failures, failure)
        if (Option.isNone(delay)) {
          const story = `failed ${failures} time(s)${row.abandoned > 0 ? ` (and its lease expired ${row.abandoned} time(s) while it was being handled)` : ""}; last error: ${failure.message}`
          return yield* failure.timedOut
            ? deadLetter(row, "TimedOut", `timed out: ${story}`, counts)
            : deadLetter(row, "Exhausted", story, counts)
        }
        yield* putBack([row], { failures, delayMillis: Duration.toMillis(delay.value), error: failure.message })
      })

    // --- handling -----------------------------------------------------------------------------

    const runHandler = (
      row: TakenRow,
      run: Effect.Effect<void, unknown, R>
    ): Effect.Effect<void, HandlerFailed | Unavailable> =>
      run.pipe(
        Effect.provideContext(services),
        Effect.exit,
        Effect.flatMap((exit): Effect.Effect<void, HandlerFailed | Unavailable> => {
          if (Exit.isSuccess(exit)) return Effect.void
          if (Cause.hasInterruptsOnly(exit.cause)) return Effect.interrupt
          if (isConnectionLoss(exit.cause)) return Effect.fail(new Unavailable({ cause: exit.cause }))
          const rejected = Cause.findErrorOption(exit.cause).pipe(
            Option.filter((error) => error instanceof Consumer.Rejected),
            Option.isSome
          )
          return Effect.fail(
            new HandlerFailed({
              position: row.position,
              rejected,
              timedOut: isStatementTimeout(exit.cause),
              message: Cause.pretty(exit.cause)
            })
          )
        })
      )

    /** Decodes a taken row for its handler; an undecodable one goes to the dead letters at once. */
    const prepare = (row: TakenRow) =>
      Effect.gen(function* () {
        const handler = handlers.get(row.event_type)
        const prepared =
          handler === undefined
            ? Effect.fail<Registry.DecodeFailure>({
                reason: "UnknownVersion",
                message: `${name} has no handler for ${row.event_type}`
              })
            : handler.prepare(options.registry, toStored(row))
        const decoded = yield* Effect.result(prepared)
        if (decoded._tag === "Success") return Option.some(decoded.success)
        yield* deadLetter(row, decoded.failure.reason, decoded.failure.message, {
          failures: row.failures + 1,
          abandoned: row.abandoned
        })
        return Option.none<Effect.Effect<void, unknown, R>>()
      })

    type Taken =
      | { readonly _tag: "Empty" }
      | { readonly _tag: "Handled"; readonly taken: number; readonly positions: ReadonlyArray<bigint> }

    const empty: Taken = { _tag: "Empty" }

    /**
     * A taken row on its own, in the current transaction: its handler in a savepoint, so a failure
     * is rolled back alone and recorded in the same transaction (the row is never free between the
     * failure and its retry delay).
     */
    const handleAlone = (lane: string, row: TakenRow) =>
      Effect.gen(function* () {
        const run = yield* prepare(row)
        if (Option.isNone(run) || !row.fresh) {
          // Nothing to run (a dead letter already, or handled before): nothing that could die.
          if (hooks.onClaimed !== undefined) yield* hooks.onClaimed(1)
          return
        }
        // The lane's record and the savepoint in parallel (two connections): one round trip.
        yield* Effect.all([journal(lane, [row]), savepoint], { concurrency: 2, discard: true })
        if (hooks.onClaimed !== undefined) yield* hooks.onClaimed(1)
        const outcome = yield* Effect.exit(runHandler(row, run.value))
        if (Exit.isSuccess(outcome)) return
        if (Cause.hasInterruptsOnly(outcome.cause)) return yield* Effect.interrupt
        const failure = Cause.findErrorOption(outcome.cause)
        if (Option.isSome(failure) && failure.value._tag === "HandlerFailed") {
          yield* rollbackToSavepoint
          return yield* failed(row, failure.value)
        }
        return yield* Effect.failCause(outcome.cause)
      })

    const savepoint = sql`SAVEPOINT tessera_handler`.pipe(
      Effect.asVoid,
      Effect.mapError((cause) => new Unavailable({ cause }))
    )
    const rollbackToSavepoint = sql`ROLLBACK TO SAVEPOINT tessera_handler`.pipe(
      Effect.asVoid,
      Effect.mapError((cause) => new Unavailable({ cause }))
    )

    /** The failure of a handler interrupted at the handler timeout, in a transaction of its own. */
    const recordTimeout = (row: TakenRow) =>
      sql
        .withTransaction(
          Effect.gen(function* () {
            const [locked] = yield* sql<{ readonly failures: number; readonly abandoned: number }>`
              DELETE FROM dispatch.deliveries d
              WHERE d.consumer = ${name} AND d.position IN (
                SELECT l.position FROM dispatch.deliveries l
                WHERE l.consumer = ${name} AND l.position = ${row.position} AND NOT l.dead
                FOR UPDATE SKIP LOCKED
              )
              RETURNING d.failures, d.abandoned`
            if (locked === undefined) return
            yield* sql`INSERT INTO dispatch.inbox (consumer, event_id) VALUES (${name}, ${row.event_id}::uuid) ON CONFLICT DO NOTHING`
            yield* failed(
              { ...row, failures: locked.failures, abandoned: locked.abandoned },
              new HandlerFailed({
                position: row.position,
                rejected: false,
                timedOut: true,
                message: `the handler did not finish within ${Duration.format(handlerTimeout)} (interrupted, rolled back)`
              })
            )
          })
        )
        .pipe(
          Effect.catchCause((cause) =>
            Cause.hasInterruptsOnly(cause)
              ? Effect.interrupt
              : Effect.logError(`${name}: recording the timeout of ${row.event_id} failed`, cause)
          )
        )

    /**
     * One handling transaction: up to `limit` events (of different subjects; or only `positions`),
     * taken, recorded, then handled.
     * - One event alone runs in a savepoint (`handleAlone`): a failure is recorded in the same
     *   transaction. If it outlives the handler timeout it is interrupted with its transaction,
     *   and the timed-out attempt is recorded apart (`recordTimeout`).
     * - A batch (more than one): the take sets `lock_timeout` to `batchLockMillis` and
     *   `statement_timeout` to `batchMillis` for the transaction, and the handlers run in order. A
     *   failure, a lock wait or the handler timeout rolls it back whole (the rows are as they were)
     *   and its positions come back as `gaveWay`, for the lane to handle one per transaction. Once
     *   `batchMillis` have passed, no further handler starts: the rest is put back as it was and
     *   what was handled commits.
     */
    const handle = (lane: string, limit: number, positions?: ReadonlyArray<bigint>) =>
      Effect.gen(function* () {
        let held: ReadonlyArray<TakenRow> = []
        const exit = yield* sql
          .withTransaction(
            Effect.gen(function* () {
              const started = yield* Clock.currentTimeMillis
              const rows = yield* take(limit, positions)
              if (rows.length === 0) return empty
              held = rows
              if (limit > 1 && rows.length === limit) yield* wakeOne
              const [first] = rows
              if (rows.length === 1 && first !== undefined) {
                // Only one: no batch, no bounds; a failure is counted at once.
                yield* handleAlone(lane, first)
                return { _tag: "Handled", taken: 1, positions: [first.position] } satisfies Taken
              }
              yield* journal(lane, rows)
              if (hooks.onClaimed !== undefined) yield* hooks.onClaimed(rows.length)
              for (let i = 0; i < rows.length; i++) {
                const row = rows[i]
                if (row === undefined) break
                if (i > 0 && (yield* Clock.currentTimeMillis) - started > batchMillis) {
                  // Past the time bound: commit what was handled, put the rest back as it was.
                  yield* putBack(rows.slice(i))
                  return {
                    _tag: "Handled",
                    taken: i,
                    positions: rows.slice(0, i).map((r) => r.position)
                  } satisfies Taken
                }
                const run = yield* prepare(row)
                if (Option.isNone(run) || !row.fresh) continue
                yield* runHandler(row, run.value).pipe(
                  Effect.mapError((error) =>
                    error._tag === "Unavailable" ? error : new BatchGaveWay({ reason: error.message })
                  )
                )
              }
              return { _tag: "Handled", taken: rows.length, positions: rows.map((r) => r.position) } satisfies Taken
            })
          )
          .pipe(
            Effect.timeoutOrElse({
              duration: handlerTimeout,
              orElse: () => Effect.fail(new HandlerTimedOut())
            }),
            Effect.onInterrupt(() => clearJournal(lane, held[0]?.xid)),
            Effect.exit
          )
        const none: ReadonlyArray<bigint> = []
        if (Exit.isSuccess(exit)) {
          if (exit.value._tag === "Handled" && hooks.onCommitted !== undefined)
            yield* hooks.onCommitted(exit.value.positions)
          return { taken: exit.value, gaveWay: none }
        }
        if (Cause.hasInterruptsOnly(exit.cause)) return yield* Effect.interrupt
        yield* clearJournal(lane, held[0]?.xid)
        const error = Cause.findErrorOption(exit.cause)
        const tag = Option.isSome(error) ? error.value._tag : undefined
        const [alone] = held
        if (held.length === 1 && alone !== undefined && tag === "HandlerTimedOut") {
          // Rolled back: record the timed-out attempt unless another lane took the row meanwhile.
          yield* recordTimeout(alone)
          return { taken: { _tag: "Handled", taken: 1, positions: none } satisfies Taken, gaveWay: none }
        }
        if (held.length > 1 && (tag === "HandlerTimedOut" || tag === "BatchGaveWay" || tag === "SqlError")) {
          // A batch rolled back whole (a failure, a lock wait, the time bound): its events one per transaction.
          return { taken: empty, gaveWay: held.map((r) => r.position) }
        }
        yield* Effect.logWarning(
          `${name}: a handler transaction did not commit; its events will be delivered again`,
          exit.cause
        )
        yield* Effect.sleep(Duration.millis(200))
        return { taken: empty, gaveWay: none }
      })

    // --- the lanes ----------------------------------------------------------------------------

    const lane = Effect.gen(function* () {
      const id = `${name}/${crypto.randomUUID()}`
      let singlesUntil = 0
      while (!(yield* Ref.get(stopping))) {
        const now = yield* Clock.currentTimeMillis
        const { taken, gaveWay } = yield* handle(id, now >= singlesUntil ? transactionSize : 1)
        if (gaveWay.length > 0) {
          // Contended rows or a failing handler would make batches give way again: this batch's
          // events one per transaction, and this lane's next takes for a while.
          singlesUntil = (yield* Clock.currentTimeMillis) + SINGLES_AFTER_GIVING_WAY
          for (const position of gaveWay) {
            if (yield* Ref.get(stopping)) break
            yield* handle(id, 1, [position])
          }
          continue
        }
        if (taken._tag === "Empty") {
          yield* Queue.take(wake).pipe(Effect.timeoutOption(pollInterval), Effect.asVoid)
        }
      }
    })

    const listener = Effect.scoped(
      Effect.gen(function* () {
        const notifications = yield* pg.listen(CHANNEL)
        yield* wakeAll // catch up on anything published while not listening
        for (;;) {
          const notification = yield* Queue.take(notifications)
          if (notification.payload === name) yield* wakeOne
        }
      })
    ).pipe(
      Effect.catchCause((cause) =>
        Cause.hasInterruptsOnly(cause)
          ? Effect.interrupt
          : Effect.logWarning(`${name}: LISTEN connection lost; polling until it is back`, cause)
      ),
      Effect.andThen(Effect.sleep(Duration.millis(500))),
      Effect.forever
    )

    // Rows that appeared below the floor (see `makeFloor`), every FLOOR_RESET.
    let deepCheckAt = 0
    const stragglers = Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const below = floor.current()
      if (now < deepCheckAt || below === 0n) return
      deepCheckAt = now + FLOOR_RESET
      const [row] = yield* sql<{ readonly position: string | null }>`
        SELECT min(position)::text AS position FROM dispatch.deliveries
        WHERE consumer = ${name} AND position < ${below.toString()}::bigint`
      if (row?.position !== null && row?.position !== undefined) floor.lower(BigInt(row.position))
    }).pipe(
      Effect.catchCause((cause) =>
        Cause.hasInterruptsOnly(cause)
          ? Effect.interrupt
          : Effect.logWarning(`${name}: looking for late rows failed`, cause)
      )
    )
    const sweeper = Effect.forever(Effect.andThen(Effect.sleep(pollInterval), Effect.andThen(sweep, stragglers)))

    // What died with an earlier process is settled before this one takes anything.
    yield* sweep
    yield* Effect.forkScoped(listener)
    yield* Effect.forkScoped(sweeper)
    const lanes = yield* Effect.forkScoped(
      Effect.forEach(Array.from({ length: concurrency }), () => lane, { concurrency: "unbounded", discard: true })
    )
    yield* Effect.addFinalizer(() =>
      Effect.gen(function* () {
        yield* Ref.set(stopping, true)
        yield* wakeAll
        const finished = yield* Fiber.await(lanes).pipe(Effect.timeoutOption(shutdownTimeout))
        if (Option.isNone(finished)) {
          yield* Effect.logWarning(
            `${name}: handlers still running after ${Duration.format(shutdownTimeout)}; they are interrupted and rolled back`
          )
          yield* Fiber.interrupt(lanes)
        }
      })
    )
  })

/**
 * Runs the consumers for the layer's lifetime (all in this process, each with its own lanes), on
 * the `PgClient` it is given: provide `pool` for the workers' own pool with timeouts.
 */
export const layer = <R>(
  consumers: ReadonlyArray<Consumer.Consumer<R>>,
  options: Options
): Layer.Layer<never, WorkerStartError | SqlError.SqlError, R | PgClient.PgClient> =>
  Layer.effectDiscard(Effect.forEach(consumers, (consumer) => run(consumer, options), { discard: true }))
