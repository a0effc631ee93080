/**
 * Retention of the dispatcher's tables, by batched deletes (each batch its own short statement,
 * so no long lock and no long transaction pinning vacuum):
 *
 * - `events` older than `TESSERA_DISPATCH_RETENTION_EVENTS` (30 days) are deleted unless a
 *   consumer still needs them: an event with a delivery row (pending, in flight, backing off, or
 *   dead and blocking a strict subject) or a dead letter (replayable, or discarded and kept for
 *   audit) stays.
 * - `inbox` rows older than `TESSERA_DISPATCH_RETENTION_INBOX` (30 days, and never less than the
 *   events' window): the inbox only has to outlive the events it deduplicates (a backfill skips
 *   events its consumer's inbox has seen).
 * - `dead_letters` that were discarded more than `TESSERA_DISPATCH_RETENTION_DEAD_LETTERS` (90
 *   days) ago. Dead letters still dead stay until they are replayed or discarded: deleting them
 *   would drop an event nobody handled.
 *
 * What a new subscription backfills is what retention kept: the events of its types still
 * stored (see `Worker`'s subscribe).
 */
import { Config, Duration, Effect, Layer, Schedule } from "effect"
import { SqlClient, type SqlError } from "effect/sql"

export interface Windows {
  readonly events: Duration.Input
  readonly inbox: Duration.Input
  readonly deadLetters: Duration.Input
  /** Rows per delete statement (default 5,000). */
  readonly batchSize?: number | undefined
}

export interface Purged {
  readonly events: number
  readonly inbox: number
  readonly deadLetters: number
}

const ms = (input: Duration.Input) => Duration.toMillis(Duration.fromInputUnsafe(input))

/** The windows from configuration. */
export const windows: Effect.Effect<Windows & { readonly interval: Duration.Duration }, never> = Effect.all({
  events: Config.Duration("TESSERA_DISPATCH_RETENTION_EVENTS").pipe(Config.withDefault(Duration.days(30))),
  inbox: Config.Duration("TESSERA_DISPATCH_RETENTION_INBOX").pipe(Config.withDefault(Duration.days(30))),
  deadLetters: Config.Duration("TESSERA_DISPATCH_RETENTION_DEAD_LETTERS").pipe(Config.withDefault(Duration.days(90))),
  batchSize: Config.Int("TESSERA_DISPATCH_RETENTION_BATCH").pipe(Config.withDefault(5000)),
  interval: Config.Duration("TESSERA_DISPATCH_RETENTION_INTERVAL").pipe(Config.withDefault(Duration.hours(1)))
}).pipe(Effect.orDie)

/** Deletes what is past its window (see the module comment); returns how many rows of each. */
export const purge = (options: Windows): Effect.Effect<Purged, SqlError.SqlError, SqlClient.SqlClient> =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const batch = Math.max(1, options.batchSize ?? 5000)
    const eventsMs = ms(options.events)
    const inboxMs = Math.max(ms(options.inbox), eventsMs)

    // Events: walk positions up to the newest event past the window, a batch at a time.
    const [bound] = yield* sql<{ readonly position: string }>`
      SELECT position::text AS position FROM dispatch.events
      WHERE recorded_at < now() - ${eventsMs} * interval '1 millisecond'
      ORDER BY recorded_at DESC LIMIT 1`
    let events = 0
    if (bound !== undefined) {
      let after = "0"
      for (;;) {
        const [step] = yield* sql<{ readonly last: string | null; readonly deleted: number }>`
          WITH candidates AS (
            SELECT e.position, e.recorded_at FROM dispatch.events e
            WHERE e.position > ${after}::bigint AND e.position <= ${bound.position}::bigint
            ORDER BY e.position LIMIT ${batch}
          ),
          doomed AS (
            SELECT c.position FROM candidates c
            WHERE c.recorded_at < now() - ${eventsMs} * interval '1 millisecond'
              AND NOT EXISTS (SELECT 1 FROM dispatch.deliveries d WHERE d.position = c.position)
              AND NOT EXISTS (SELECT 1 FROM dispatch.dead_letters x WHERE x.position = c.position)
          ),
          deleted AS (
            DELETE FROM dispatch.events e USING doomed WHERE e.position = doomed.position RETURNING 1
          )
          SELECT (SELECT max(position) FROM candidates)::text AS last, (SELECT count(*) FROM deleted)::int AS deleted`
        if (step === undefined || step.last === null) break
        events += step.deleted
        after = step.last
      }
    }

    const batched = (statement: Effect.Effect<ReadonlyArray<{ readonly n: number }>, SqlError.SqlError>) =>
      Effect.gen(function* () {
        let total = 0
        for (;;) {
          const n = (yield* statement)[0]?.n ?? 0
          total += n
          if (n < batch) return total
        }
      })

    const inbox = yield* batched(sql<{ readonly n: number }>`
      WITH deleted AS (
        DELETE FROM dispatch.inbox WHERE ctid = ANY(ARRAY(
          SELECT ctid FROM dispatch.inbox WHERE processed_at < now() - ${inboxMs} * interval '1 millisecond' LIMIT ${batch}
        ))
        RETURNING 1
      )
      SELECT count(*)::int AS n FROM deleted`)

    const deadLetters = yield* batched(sql<{ readonly n: number }>`
      WITH deleted AS (
        DELETE FROM dispatch.dead_letters WHERE ctid = ANY(ARRAY(
          SELECT ctid FROM dispatch.dead_letters
          WHERE status = 'discarded' AND discarded_at < now() - ${ms(options.deadLetters)} * interval '1 millisecond'
          LIMIT ${batch}
        ))
        RETURNING 1
      )
      SELECT count(*)::int AS n FROM deleted`)

    return { events, inbox, deadLetters }
  }).pipe(Effect.withSpan("Retention.purge"))

/**
 * Purges at start and then every `TESSERA_DISPATCH_RETENTION_INTERVAL` (1 hour), for the layer's
 * lifetime. Several processes may run it: the deletes are idempotent. A failed purge is logged
 * and retried at the next interval.
 */
export const layer: Layer.Layer<never, never, SqlClient.SqlClient> = Layer.effectDiscard(
  Effect.gen(function* () {
    const configured = yield* windows
    yield* purge(configured).pipe(
      Effect.tap((purged) =>
        purged.events + purged.inbox + purged.deadLetters === 0
          ? Effect.void
          : Effect.logInfo(
              `Dispatch retention: purged ${purged.events} event(s), ${purged.inbox} inbox row(s), ${purged.deadLetters} discarded dead letter(s)`
            )
      ),
      Effect.catch((error) => Effect.logWarning("Dispatch retention failed; retrying at the next interval", error)),
      Effect.repeat(Schedule.spaced(configured.interval)),
      Effect.forkScoped
    )
  })
)
