/**
 * Runs consumers: claims their delivery rows in batches, hands the events to their handlers in
 * transactions that also write the inbox and delete the delivery (the acknowledgement), retries
 * failures with the consumer's schedule and moves what cannot be handled to the dead letters.
 *
 * Guarantees, and how:
 * - At-least-once: a delivery row stays until a handler transaction deletes it; a claim only
 *   leases it (`leased_until`), so a crashed worker's rows are claimed again when the lease ends.
 * - Exactly-once database effects: the handler's statements, the inbox row and the delete of the
 *   delivery commit together; the inbox's primary key (consumer, event_id) refuses a second run.
 * - Fencing: each claim stamps rows with a fresh `lease_token`; the handler transaction deletes
 *   its rows only with the token it holds, first thing, so a worker whose lease was taken over
 *   finds nothing to delete and rolls back; the delete's row lock keeps a takeover waiting
 *   until the holder commits or aborts.
 * - Order per (consumer, subject): a claim skips every subject that has a leased or backing-off
 *   row, takes rows in position order, and all rows of one subject go to one lane that handles
 *   them in order; claims of one consumer are serialised by an advisory lock, so two processes
 *   never hold the same subject. Different subjects run in parallel lanes.
 * - Wake-up: LISTEN on the dispatch channel, re-established when the connection drops, and
 *   polling every `pollInterval` whatever happens to notifications.
 * - Graceful shutdown: the loop stops claiming, lanes finish the transaction they are in and give
 *   back the leases of rows they did not start; past `shutdownTimeout` they are interrupted and
 *   their leases simply expire.
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
import type { SqlClient, SqlError } from "effect/sql"
import * as Consumer from "./Consumer.ts"
import { CHANNEL } from "./DispatchMigrations.ts"

export class WorkerStartError extends Data.TaggedError("WorkerStartError")<{
  readonly consumer: string
  readonly message: string
  readonly cause?: unknown
}> {}

/** The transaction found a row no longer leased with its token: another worker has it now. */
class LeaseLost extends Data.TaggedError("LeaseLost")<{ readonly positions: ReadonlyArray<bigint> }> {}

/** A handler failed (error or defect). */
class HandlerFailed extends Data.TaggedError("HandlerFailed")<{
  readonly position: bigint
  readonly rejected: boolean
  readonly message: string
}> {}

export interface Hooks {
  /** After a claim committed, before any handler ran. */
  readonly onClaimed?: ((count: number) => Effect.Effect<void>) | undefined
  /** After a handler transaction committed. */
  readonly onCommitted?: ((positions: ReadonlyArray<bigint>) => Effect.Effect<void>) | undefined
}

export interface Options {
  readonly registry: Registry.Registry
  /** Rows taken per claim (default `TESSERA_DISPATCH_CLAIM_SIZE` or 256). */
  readonly claimSize?: number | undefined
  /** Lanes handling different subjects at once (default `TESSERA_DISPATCH_CONCURRENCY` or 4). */
  readonly concurrency?: number | undefined
  /**
   * Events per handler transaction (default 16). A failure rolls the group back and replays it
   * one event per transaction, so only the failing event is retried. 1 = one transaction each.
   */
  readonly transactionSize?: number | undefined
  /** Claim loops per consumer in this process (default 2): one claims while another handles. */
  readonly loops?: number | undefined
  /** How long a claim holds its rows (default `TESSERA_DISPATCH_LEASE` or 30 seconds). */
  readonly leaseDuration?: Duration.Input | undefined
  /** Poll this often even without notifications (default `TESSERA_DISPATCH_POLL_INTERVAL` or 1 second). */
  readonly pollInterval?: Duration.Input | undefined
  /**
   * Attempts whose lease expired without an outcome (the handler crashed or hung the process)
   * before the event goes to the dead letters as `abandoned` (default 5).
   */
  readonly maxAbandoned?: number | undefined
  /** How long shutdown waits for in-flight handlers (default: the lease duration). */
  readonly shutdownTimeout?: Duration.Input | undefined
  readonly hooks?: Hooks | undefined
}

const ClaimedRow = Schema.Struct({
  position: Schema.BigInt,
  subject_key: Schema.String,
  attempts: Schema.Number,
  lease_token: Schema.BigInt,
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
type ClaimedRow = typeof ClaimedRow.Type
const decodeClaimed = Schema.decodeUnknownEffect(Schema.Array(ClaimedRow))

const HeldRow = Schema.Struct({ position: Schema.BigInt, fresh: Schema.Boolean })
const decodeHeld = Schema.decodeUnknownEffect(Schema.Array(HeldRow))

const bigintArray = (values: ReadonlyArray<bigint>) => `{${values.join(",")}}`

const toStored = (row: ClaimedRow): Consumer.StoredEvent => ({
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
  attempt: row.attempts
})

/**
 * The delay before the next attempt after `attempts` failed ones, or none when the schedule is
 * exhausted. The schedule is stepped from its start each time: the attempt count is stored in the
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

interface Prepared<R> {
  readonly row: ClaimedRow
  readonly run: Effect.Effect<void, unknown, R>
}

/** Runs one consumer until the scope closes. Fails at start if the consumer does not fit the registry. */
/**
 * Registers the consumer's subscriptions. A new subscription starts with every event of its type
 * already published: the consumer's domain is a registered consumer of it, so it is owed those
 * events even if its process never ran before (a producer may well start first). Delivery rows
 * are otherwise written by the publishing transaction, so the backfill must not race a publish:
 * `SHARE` on the events table waits for the publishing transactions in flight to commit and holds
 * new ones back until the subscription is committed, so every event is either backfilled here or
 * sees the subscription when it is published — never neither. Existing subscriptions take no lock.
 */
const subscribe = (sql: SqlClient.SqlClient, consumer: string, eventTypes: ReadonlyArray<string>) => {
  const types = `{${eventTypes.map((type) => JSON.stringify(type)).join(",")}}`
  return sql
    .withTransaction(
      Effect.gen(function* () {
        const missing = yield* sql`
          SELECT t FROM unnest(${types}::text[]) AS t
          WHERE NOT EXISTS (SELECT 1 FROM dispatch.subscriptions s WHERE s.event_type = t AND s.consumer = ${consumer})`
        if (missing.length === 0) return 0
        yield* sql`LOCK TABLE dispatch.events IN SHARE MODE`
        const added = yield* sql<{ readonly event_type: string }>`
          INSERT INTO dispatch.subscriptions (event_type, consumer)
          SELECT t, ${consumer} FROM unnest(${types}::text[]) AS t
          ON CONFLICT DO NOTHING
          RETURNING event_type`
        if (added.length === 0) return 0
        const backfilled = yield* sql`
          INSERT INTO dispatch.deliveries (consumer, position, subject_key)
          SELECT ${consumer}, e.position, e.subject_type || ':' || e.subject_id
          FROM dispatch.events e
          WHERE e.event_type = ANY(${`{${added.map((row) => JSON.stringify(row.event_type)).join(",")}}`}::text[])
            AND NOT EXISTS (SELECT 1 FROM dispatch.inbox i WHERE i.consumer = ${consumer} AND i.event_id = e.event_id)
          ORDER BY e.position
          ON CONFLICT DO NOTHING
          RETURNING position`
        return backfilled.length
      })
    )
    .pipe(
      Effect.tap((backfilled) =>
        backfilled === 0
          ? Effect.void
          : Effect.logInfo(`${consumer}: new subscription, ${backfilled} earlier event(s) to deliver`)
      )
    )
}

export const run = <R>(
  consumer: Consumer.Consumer<R>,
  options: Options
): Effect.Effect<void, WorkerStartError | SqlError.SqlError, R | PgClient.PgClient | Scope.Scope> =>
  Effect.gen(function* () {
    const problems = Consumer.check(consumer, options.registry)
    if (problems.length > 0) {
      return yield* new WorkerStartError({ consumer: consumer.name, message: problems.join("; ") })
    }
    const config = yield* Effect.all({
      claimSize: Config.Int("TESSERA_DISPATCH_CLAIM_SIZE").pipe(Config.withDefault(256)),
      concurrency: Config.Int("TESSERA_DISPATCH_CONCURRENCY").pipe(Config.withDefault(4)),
      lease: Config.Duration("TESSERA_DISPATCH_LEASE").pipe(Config.withDefault(Duration.seconds(30))),
      poll: Config.Duration("TESSERA_DISPATCH_POLL_INTERVAL").pipe(Config.withDefault(Duration.seconds(1)))
    }).pipe(
      Effect.mapError(
        (cause) => new WorkerStartError({ consumer: consumer.name, message: `bad dispatch config: ${cause}`, cause })
      )
    )
    const claimSize = Math.max(1, options.claimSize ?? config.claimSize)
    const maxAbandoned = Math.max(1, options.maxAbandoned ?? 5)
    const concurrency = Math.max(1, options.concurrency ?? config.concurrency)
    const transactionSize = Math.max(1, options.transactionSize ?? 16)
    const loops = Math.max(1, options.loops ?? 2)
    const lease = Duration.fromInputUnsafe(options.leaseDuration ?? config.lease)
    const leaseMillis = Duration.toMillis(lease)
    const pollInterval = Duration.fromInputUnsafe(options.pollInterval ?? config.poll)
    const shutdownTimeout = Duration.fromInputUnsafe(options.shutdownTimeout ?? lease)
    const hooks = options.hooks ?? {}
    const name = consumer.name

    const pg = yield* PgClient.PgClient
    const sql: SqlClient.SqlClient = pg
    const services = yield* Effect.context<R>()
    const handlers = new Map(consumer.handlers.map((handler) => [handler.definition.type, handler]))

    yield* subscribe(sql, name, [...handlers.keys()])

    const stopping = yield* Ref.make(false)
    const wake = yield* Queue.dropping<void>(1)

    // --- claiming -------------------------------------------------------------------------

    // One round trip: see `dispatch.claim` in DispatchMigrations (advisory lock, fresh snapshot,
    // asynchronous commit, oldest claimable rows of subjects with nothing in flight).
    const claim =
      sql`SELECT c.delivery_position AS position, c.* FROM dispatch.claim(${name}, ${claimSize}, ${leaseMillis}, ${maxAbandoned}) c`.pipe(
        Effect.flatMap(decodeClaimed),
        Effect.orDie
      )

    // --- settling rows ----------------------------------------------------------------------

    /** Gives leases back without counting an attempt (rows not started, or skipped for order). */
    const release = (rows: ReadonlyArray<ClaimedRow>) =>
      rows.length === 0
        ? Effect.void
        : sql`
            UPDATE dispatch.deliveries d
            SET leased_until = NULL, lease_token = NULL, attempts = GREATEST(d.attempts - 1, 0)
            FROM unnest(${bigintArray(rows.map((r) => r.position))}::bigint[], ${bigintArray(rows.map((r) => r.lease_token))}::bigint[]) AS a(position, token)
            WHERE d.consumer = ${name} AND d.position = a.position AND d.lease_token = a.token`.pipe(
            Effect.asVoid,
            Effect.catch((error) => Effect.logWarning(`${name}: releasing ${rows.length} lease(s) failed`, error))
          )

    const deadLetter = (row: ClaimedRow, reason: string, error: string) =>
      sql`
        WITH moved AS (
          DELETE FROM dispatch.deliveries
          WHERE consumer = ${name} AND position = ${row.position} AND lease_token = ${row.lease_token}
          RETURNING consumer, position, subject_key, attempts
        )
        INSERT INTO dispatch.dead_letters (consumer, position, subject_key, reason, error, attempts)
        SELECT consumer, position, subject_key, ${reason}, ${error}, attempts FROM moved`.pipe(
        Effect.tap(() =>
          Effect.logWarning(`${name}: ${row.event_type}@${row.event_version} ${row.event_id} → dead letter (${reason})`)
        ),
        Effect.asVoid,
        Effect.catch((cause) => Effect.logError(`${name}: moving ${row.event_id} to the dead letters failed`, cause))
      )

    const retryLater = (row: ClaimedRow, failure: HandlerFailed) =>
      Effect.gen(function* () {
        if (failure.rejected) return yield* deadLetter(row, "Rejected", failure.message)
        const delay = yield* retryDelay(consumer.retry, row.attempts, failure)
        if (Option.isNone(delay)) return yield* deadLetter(row, "Exhausted", failure.message)
        yield* sql`
          UPDATE dispatch.deliveries
          SET leased_until = NULL, lease_token = NULL, last_error = ${failure.message},
              available_at = now() + ${Duration.toMillis(delay.value)} * interval '1 millisecond'
          WHERE consumer = ${name} AND position = ${row.position} AND lease_token = ${row.lease_token}`.pipe(
          Effect.catch((cause) => Effect.logError(`${name}: scheduling the retry of ${row.event_id} failed`, cause))
        )
      })

    // --- handling -----------------------------------------------------------------------------

    const runHandler = (prepared: Prepared<R>) =>
      prepared.run.pipe(
        Effect.provideContext(services),
        Effect.exit,
        Effect.flatMap((exit) => {
          if (Exit.isSuccess(exit)) return Effect.void
          if (Cause.hasInterruptsOnly(exit.cause)) return Effect.interrupt
          const rejected = Cause.findErrorOption(exit.cause).pipe(
            Option.filter((error) => error instanceof Consumer.Rejected),
            Option.isSome
          )
          return Effect.fail(
            new HandlerFailed({ position: prepared.row.position, rejected, message: Cause.pretty(exit.cause) })
          )
        })
      )

    /** One transaction: fence + inbox + ack first, then the handlers of the fresh rows, in order. */
    const handleGroup = (group: ReadonlyArray<Prepared<R>>) =>
      sql
        .withTransaction(
          Effect.gen(function* () {
            const held = yield* sql`
              WITH acked AS (
                DELETE FROM dispatch.deliveries d
                USING unnest(${bigintArray(group.map((p) => p.row.position))}::bigint[], ${bigintArray(group.map((p) => p.row.lease_token))}::bigint[]) AS a(position, token)
                WHERE d.consumer = ${name} AND d.position = a.position AND d.lease_token = a.token
                RETURNING d.position
              ),
              ids AS (
                SELECT * FROM unnest(${bigintArray(group.map((p) => p.row.position))}::bigint[], ${`{${group.map((p) => p.row.event_id).join(",")}}`}::uuid[]) AS i(position, event_id)
              ),
              fresh AS (
                INSERT INTO dispatch.inbox (consumer, event_id)
                SELECT ${name}, ids.event_id FROM acked JOIN ids ON ids.position = acked.position
                ON CONFLICT DO NOTHING
                RETURNING event_id
              )
              SELECT acked.position, (fresh.event_id IS NOT NULL) AS fresh
              FROM acked JOIN ids ON ids.position = acked.position
              LEFT JOIN fresh ON fresh.event_id = ids.event_id`.pipe(Effect.flatMap(decodeHeld), Effect.orDie)
            if (held.length !== group.length) {
              const mine = new Set(held.map((h) => h.position))
              return yield* new LeaseLost({
                positions: group.map((p) => p.row.position).filter((position) => !mine.has(position))
              })
            }
            const fresh = new Set(held.filter((h) => h.fresh).map((h) => h.position))
            for (const prepared of group) {
              if (fresh.has(prepared.row.position)) yield* runHandler(prepared)
            }
          })
        )
        .pipe(
          Effect.tap(() =>
            hooks.onCommitted === undefined ? Effect.void : hooks.onCommitted(group.map((p) => p.row.position))
          )
        )

    /** Handles one lane's rows (whole subjects, in order) until done or stopping. */
    const runLane = (rows: ReadonlyArray<ClaimedRow>) =>
      Effect.gen(function* () {
        const skipped = new Set<string>()
        const unstarted: Array<ClaimedRow> = []
        let next = 0
        while (next < rows.length) {
          if (yield* Ref.get(stopping)) {
            unstarted.push(...rows.slice(next))
            break
          }
          const group: Array<Prepared<R>> = []
          while (next < rows.length && group.length < transactionSize) {
            const row = rows[next]
            if (row === undefined) break
            if (skipped.has(row.subject_key)) {
              unstarted.push(row)
              next++
              continue
            }
            const handler = handlers.get(row.event_type)
            const prepared =
              handler === undefined
                ? Effect.fail<Registry.DecodeFailure>({
                    reason: "UnknownVersion",
                    message: `${name} has no handler for ${row.event_type}`
                  })
                : handler.prepare(options.registry, toStored(row))
            const decoded = yield* Effect.result(prepared)
            if (decoded._tag === "Failure") {
              if (group.length > 0) break // handle what we have first; this row comes next
              yield* deadLetter(row, decoded.failure.reason, decoded.failure.message)
              next++
              continue
            }
            group.push({ row, run: decoded.success })
            next++
          }
          if (group.length === 0) continue
          const exit = yield* Effect.exit(handleGroup(group))
          if (Exit.isSuccess(exit)) continue
          const failure = Cause.findErrorOption(exit.cause)
          if (Option.isSome(failure) && failure.value._tag === "HandlerFailed" && group.length > 1) {
            // Replay the group one event per transaction, so only the failing one is retried.
            for (const prepared of group) {
              if (skipped.has(prepared.row.subject_key)) {
                unstarted.push(prepared.row)
                continue
              }
              const single = yield* Effect.exit(handleGroup([prepared]))
              if (Exit.isSuccess(single)) continue
              skipped.add(prepared.row.subject_key)
              const error = Cause.findErrorOption(single.cause)
              if (Option.isSome(error) && error.value._tag === "HandlerFailed") {
                yield* retryLater(prepared.row, error.value)
              } else {
                yield* logGroupFailure(single.cause)
                unstarted.push(prepared.row)
              }
            }
            continue
          }
          for (const prepared of group) skipped.add(prepared.row.subject_key)
          if (Option.isSome(failure) && failure.value._tag === "HandlerFailed") {
            const [only] = group
            if (only !== undefined) yield* retryLater(only.row, failure.value)
          } else {
            // Lease lost or the database failed: give back what we still hold; others retry.
            yield* logGroupFailure(exit.cause)
            unstarted.push(...group.map((p) => p.row))
          }
        }
        yield* release(unstarted)
      })

    const logGroupFailure = (cause: Cause.Cause<unknown>) =>
      Effect.logWarning(`${name}: a handler transaction did not commit; its events will be delivered again`, cause)

    const processBatch = (rows: ReadonlyArray<ClaimedRow>) => {
      const bySubject = new Map<string, Array<ClaimedRow>>()
      for (const row of rows) {
        const list = bySubject.get(row.subject_key)
        if (list === undefined) bySubject.set(row.subject_key, [row])
        else list.push(row)
      }
      // No more lanes than transactions' worth of rows: at low load one transaction carries them all.
      const laneCount = Math.min(concurrency, bySubject.size, Math.ceil(rows.length / transactionSize))
      const lanes: Array<Array<ClaimedRow>> = Array.from({ length: laneCount }, () => [])
      let index = 0
      for (const subjectRows of bySubject.values()) {
        lanes[index % lanes.length]?.push(...subjectRows)
        index++
      }
      return Effect.forEach(lanes, runLane, { concurrency: "unbounded", discard: true })
    }

    // --- the loop -----------------------------------------------------------------------------

    const waitForWork = Queue.take(wake).pipe(Effect.timeoutOption(pollInterval), Effect.asVoid)

    const loop = Effect.gen(function* () {
      while (!(yield* Ref.get(stopping))) {
        const claimed = yield* claim.pipe(
          Effect.catchCause((cause) =>
            Cause.hasInterruptsOnly(cause)
              ? Effect.interrupt
              : Effect.logError(`${name}: claiming failed; retrying after the poll interval`, cause).pipe(
                  Effect.andThen(Effect.sleep(pollInterval)),
                  Effect.as([])
                )
          )
        )
        if (claimed.length === 0) {
          yield* waitForWork
          continue
        }
        if (hooks.onClaimed !== undefined) yield* hooks.onClaimed(claimed.length)
        yield* processBatch(claimed)
      }
    })

    const listener = Effect.scoped(
      Effect.gen(function* () {
        const notifications = yield* pg.listen(CHANNEL)
        yield* Queue.offer(wake, undefined) // catch up on anything published while not listening
        for (;;) {
          const notification = yield* Queue.take(notifications)
          if (notification.payload === name) yield* Queue.offer(wake, undefined)
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

    yield* Effect.forkScoped(listener)
    // Several loops per consumer: one claims while another's lanes are still handling (claims
    // are serialised by the advisory lock, and subjects in flight are excluded by their leases).
    const loopFiber = yield* Effect.forkScoped(
      Effect.all(
        Array.from({ length: loops }, () => loop),
        { concurrency: "unbounded", discard: true }
      )
    )
    yield* Effect.addFinalizer(() =>
      Effect.gen(function* () {
        yield* Ref.set(stopping, true)
        yield* Queue.offer(wake, undefined)
        const finished = yield* Fiber.await(loopFiber).pipe(Effect.timeoutOption(shutdownTimeout))
        if (Option.isNone(finished)) {
          yield* Effect.logWarning(
            `${name}: handlers still running after ${Duration.format(shutdownTimeout)}; their leases will expire`
          )
          yield* Fiber.interrupt(loopFiber)
        }
      })
    )
  })

/** Runs the consumers for the layer's lifetime (all in this process, each with its own loop). */
export const layer = <R>(
  consumers: ReadonlyArray<Consumer.Consumer<R>>,
  options: Options
): Layer.Layer<never, WorkerStartError | SqlError.SqlError, R | PgClient.PgClient> =>
  Layer.effectDiscard(Effect.forEach(consumers, (consumer) => run(consumer, options), { discard: true }))
