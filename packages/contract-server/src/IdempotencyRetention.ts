/**
 * Idempotency records are kept for a retention period (`TESSERA_IDEMPOTENCY_RETENTION`, default
 * 24 hours), then purged: a retry within that window gets the stored answer, a "retry" a day later
 * is a new call. Without a purge the table would grow with every idempotent call forever.
 */
import { Config, Duration, Effect, Layer, Schedule } from "effect"
import { SqlClient } from "effect/sql"

/** Deletes the records created before `now - retention`; returns how many. */
export const purge = (retention: Duration.Input) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<{ readonly n: number }>`
      WITH purged AS (
        DELETE FROM contract_kit.idempotency_keys
        WHERE created_at < now() - ${Duration.toMillis(Duration.fromInputUnsafe(retention))} * interval '1 millisecond'
        RETURNING 1
      )
      SELECT count(*)::int AS n FROM purged`.pipe(Effect.map((rows) => rows[0]?.n ?? 0))
  )

/** Purges once at start and then hourly, for the process's lifetime. A failed purge is logged and retried next hour. */
export const layer = Layer.effectDiscard(
  Effect.gen(function* () {
    const retention = yield* Config.Duration("TESSERA_IDEMPOTENCY_RETENTION").pipe(
      Config.withDefault(Duration.hours(24))
    )
    yield* purge(retention).pipe(
      Effect.tap((n) => (n === 0 ? Effect.void : Effect.logInfo(`Purged ${n} expired idempotency record(s)`))),
      Effect.catch((error) => Effect.logWarning("Purging idempotency records failed", error)),
      Effect.repeat(Schedule.spaced("1 hour")),
      Effect.forkScoped
    )
  })
)
