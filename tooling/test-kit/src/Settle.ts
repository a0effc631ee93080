/**
 * `settle`: waits until every running consumer has handled everything published so far —
 * including what their handlings published in turn — with no sleep in the test. It reads the
 * dispatcher's own view (`DispatchAdmin.lag` and `deadLetters`) and wakes on every change of
 * `dispatch.deliveries` (the probe's notification, see `Probe.ts`), re-checking at least every
 * `recheck` in case a retry's back-off ends without any change.
 *
 * It fails, naming consumer, event and error:
 * - when a handler fails and its retry is scheduled (unless faults were injected into that
 *   consumer, or `allowRetries`),
 * - when a handler sends an event to the dead letters (one not yet seen through `deadLetters`),
 * - when a consumer is still behind after `timeout` (its pending events and their last errors).
 * Paused consumers (`faults.pause`) are left out: their lag is the point.
 */
import { DispatchAdmin } from "@tessera/dispatcher/DispatchAdmin"
import { Data, Duration, Effect, Queue } from "effect"
import { SqlClient } from "effect/sql"
import * as Probe from "./Probe.ts"

export class SettleError extends Data.TaggedError("SettleError")<{ readonly message: string }> {}

export interface SettleOptions {
  /** How long consumers may take (default `TESSERA_TEST_SETTLE_TIMEOUT` seconds, or 30 s). */
  readonly timeout?: Duration.Input | undefined
  /** Dead letters do not fail the settle (they are still reported by `deadLetters`). */
  readonly allowDeadLetters?: boolean | undefined
  /** Wait for paused consumers too (by default their lag is left alone): fails after `timeout`. */
  readonly includePaused?: boolean | undefined
  /**
   * A handler's failed attempt waiting for its retry fails `settle` at once — naming consumer,
   * event and error — unless the consumer has faults injected (`faults.fail`) or this is `true`:
   * then retries are waited for, and only a dead letter or the timeout fails it.
   */
  readonly allowRetries?: boolean | undefined
}

interface PendingRow {
  readonly consumer: string
  readonly position: string
  readonly event_type: string
  readonly event_version: number
  readonly event_id: string
  readonly subject_key: string
  readonly failures: number
  readonly abandoned: number
  readonly last_error: string | null
  readonly leased: boolean
}

export const defaultTimeout = (): Duration.Duration => {
  const seconds = Number(process.env.TESSERA_TEST_SETTLE_TIMEOUT ?? "")
  return Duration.seconds(Number.isFinite(seconds) && seconds > 0 ? seconds : 30)
}

/** An error as stored by the dispatcher (a pretty cause), without its stack frames. */
const firstLines = (error: string) =>
  error
    .split("\n")
    .filter((line) => !/^\s+at /.test(line) && line.trim() !== "")
    .slice(0, 6)
    .join(" | ")

const describePending = (rows: ReadonlyArray<PendingRow>) =>
  rows
    .map(
      (r) =>
        `  - ${r.consumer}: ${r.event_type}@${r.event_version} ${r.event_id} (${r.subject_key}, #${r.position})${
          r.leased ? " being handled" : ""
        }${r.failures + r.abandoned > 0 ? `, ${r.failures} failure(s), ${r.abandoned} abandoned lease(s)` : ""}${
          r.last_error === null ? "" : `, last error: ${firstLines(r.last_error)}`
        }`
    )
    .join("\n")

/** Undelivered rows of `consumers` (only those that failed, if `failedOnly`), with their events. */
const pendingRows = (sql: SqlClient.SqlClient, consumers: ReadonlyArray<string>, failedOnly: boolean) =>
  sql<PendingRow>`
    SELECT d.consumer, d.position::text, e.event_type, e.event_version, e.event_id::text, d.subject_key,
      d.failures, d.abandoned, d.last_error,
      EXISTS (SELECT 1 FROM dispatch.handling h WHERE h.consumer = d.consumer AND d.position = ANY(h.positions)
        AND pg_xact_status(h.xid) = 'in progress') AS leased
    FROM dispatch.deliveries d JOIN dispatch.events e ON e.position = d.position
    WHERE NOT d.dead AND d.consumer = ANY(${`{${consumers.map((c) => JSON.stringify(c)).join(",")}}`}::text[])
      AND ${failedOnly ? sql`d.failures > 0` : sql`TRUE`}
    ORDER BY d.position LIMIT 20`.pipe(Effect.orDie)

/**
 * Builds `settle` for a stack: `changes` receives one item per probe notification; `seenDeadLetters`
 * holds the dead letters (`consumer#position`) the test already looked at.
 */
export const make =
  (changes: Queue.Queue<void>, seenDeadLetters: Set<string>, recheck = Duration.millis(250)) =>
  (options: SettleOptions = {}) =>
    Effect.gen(function* () {
      const admin = yield* DispatchAdmin
      const sql = yield* SqlClient.SqlClient
      const timeout = Duration.fromInputUnsafe(options.timeout ?? defaultTimeout())
      const check = Effect.gen(function* () {
        yield* Queue.clear(changes)
        const paused = new Set(options.includePaused === true ? [] : yield* Probe.pausedConsumers)
        // Lag first, dead letters second: a delivery leaves the pending ones and becomes a dead
        // letter in one transaction, so read in this order no dead letter slips between the two.
        const lag = yield* admin.lag()
        if (options.allowDeadLetters !== true) {
          const dead = (yield* admin.deadLetters({ limit: 1000 })).filter(
            (d) => !seenDeadLetters.has(`${d.consumer}#${d.position}`)
          )
          if (dead.length > 0) {
            return yield* new SettleError({
              message: `settle: ${dead.length} event(s) went to the dead letters:\n${dead
                .map(
                  (d) =>
                    `  - ${d.consumer}: ${d.eventType}@${d.eventVersion} ${d.eventId} (${d.subjectKey}, #${d.position}) → ${d.reason} after ${d.attempts} attempt(s): ${firstLines(d.error)}`
                )
                .join("\n")}`
            })
          }
        }
        const retrying = lag.filter((l) => l.retrying > 0 && !paused.has(l.consumer)).map((l) => l.consumer)
        if (options.allowRetries !== true && retrying.length > 0) {
          const faulted = new Set(yield* Probe.faultedConsumers)
          const unexpected = retrying.filter((consumer) => !faulted.has(consumer))
          if (unexpected.length > 0) {
            const failing = yield* pendingRows(sql, unexpected, true)
            if (failing.length > 0) {
              return yield* new SettleError({
                message: `settle: a handler failed (its retry is scheduled; settle({ allowRetries: true }) waits for it):\n${describePending(failing)}`
              })
            }
          }
        }
        return lag.filter((l) => l.pending > 0 && !paused.has(l.consumer)).map((l) => l.consumer)
      })
      const wait = Effect.gen(function* () {
        for (;;) {
          const behind = yield* check
          if (behind.length === 0) return
          yield* Queue.take(changes).pipe(Effect.timeoutOption(recheck))
        }
      })
      return yield* wait.pipe(
        Effect.timeoutOrElse({
          duration: timeout,
          orElse: () =>
            Effect.gen(function* () {
              const paused = new Set(options.includePaused === true ? [] : yield* Probe.pausedConsumers)
              const behind = (yield* admin.lag()).filter((l) => l.pending > 0 && !paused.has(l.consumer))
              const pending = yield* pendingRows(
                sql,
                behind.map((l) => l.consumer),
                false
              )
              const consumers = [...new Set(pending.map((p) => p.consumer))]
              return yield* new SettleError({
                message: `settle: ${consumers.join(", ")} still behind after ${Duration.format(timeout)}:\n${describePending(pending)}`
              })
            })
        })
      )
    })
