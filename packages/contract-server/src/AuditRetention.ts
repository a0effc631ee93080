/**
 * Audit rows (`contract_kit.audit_log`, which keep the calls' raw inputs) are kept for a retention
 * period (`TESSERA_AUDIT_RETENTION`, default 90 days), then purged in batches
 * (`TESSERA_AUDIT_RETENTION_BATCH`, 5,000 rows per statement: no long lock, no long transaction).
 * Without a purge the table would grow with every call forever.
 */
import { Config, Duration, Effect, Layer, Schedule } from "effect"
import { SqlClient } from "effect/sql"

/** Deletes the audit rows that occurred before `now - retention`, `batchSize` at a time; returns how many. */
export const purge = (retention: Duration.Input, batchSize = 5000) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const millis = Duration.toMillis(Duration.fromInputUnsafe(retention))
    const batch = Math.max(1, batchSize)
    let total = 0
    for (;;) {
      const [row] = yield* sql<{ readonly n: number }>`
        WITH purged AS (
          DELETE FROM contract_kit.audit_log WHERE id = ANY(ARRAY(
            SELECT id FROM contract_kit.audit_log
            WHERE occurred_at < now() - ${millis} * interval '1 millisecond'
            ORDER BY occurred_at LIMIT ${batch}
          ))
          RETURNING 1
        )
        SELECT count(*)::int AS n FROM purged`
      const n = row?.n ?? 0
      total += n
      if (n < batch) return total
    }
  })

/** Purges once at start and then hourly, for the process's lifetime. A failed purge is logged and retried next hour. */
export const layer = Layer.effectDiscard(
  Effect.gen(function* () {
    const retention = yield* Config.Duration("TESSERA_AUDIT_RETENTION").pipe(Config.withDefault(Duration.days(90)))
    const batchSize = yield* Config.Int("TESSERA_AUDIT_RETENTION_BATCH").pipe(Config.withDefault(5000))
    yield* purge(retention, batchSize).pipe(
      Effect.tap((n) => (n === 0 ? Effect.void : Effect.logInfo(`Purged ${n} audit row(s) past retention`))),
      Effect.catch((error) => Effect.logWarning("Purging audit rows failed", error)),
      Effect.repeat(Schedule.spaced("1 hour")),
      Effect.forkScoped
    )
  })
)
