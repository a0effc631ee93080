/**
 * Cron schedules: every process running the hub's workers watches the active sync configs with
 * a schedule and, when a tick of Effect's `Cron` is due, claims it — an insert into
 * `schedule_ticks` keyed by (organization, sync config, tick) with `ON CONFLICT DO NOTHING` — and
 * only the process whose insert won queues the run, in the same transaction. Several processes,
 * one run per tick. It sleeps until the next tick of any config (at most `TESSERA_INTEGRATION_SCHEDULER_RELOAD`,
 * 2 seconds, so new, paused and resumed configs are seen).
 *
 * Only the latest tick is fired: a process that was down for several ticks runs the sync once
 * when it comes back (within ten minutes of that tick), not once per missed tick.
 */
import { SyncRequested } from "@tessera/contracts/integration-hub/Events"
import type { SyncConfigId, SyncRunId } from "@tessera/contracts/integration-hub/Shared"
import { EventSink } from "@tessera/envelope/EventSink"
import { Clock, Config, Cron, Duration, Effect, Layer, Option, Result } from "effect"
import { SqlClient } from "effect/sql"
import { IntegrationIds } from "../domain/IntegrationIds.ts"
import { RunRepository } from "../repositories/RunRepository.ts"
import { type ScheduledConfig, SyncConfigRepository } from "../repositories/SyncConfigRepository.ts"

const CATCH_UP = Duration.minutes(10)

/** The tick of `schedule` due at `now` (the latest at or before it), if any. */
export const dueTick = (config: ScheduledConfig, now: Date): Date | undefined => {
  const cron = Cron.parse(config.schedule, "UTC")
  if (Result.isFailure(cron)) return undefined
  const tick = Cron.match(cron.success, now)
    ? new Date(Math.floor(now.getTime() / 1000) * 1000)
    : Cron.prev(cron.success, now)
  if (tick.getTime() <= config.createdAt.getTime()) return undefined
  if (now.getTime() - tick.getTime() > Duration.toMillis(CATCH_UP)) return undefined
  return tick
}

export const layer = Layer.effectDiscard(
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const configs = yield* SyncConfigRepository
    const runs = yield* RunRepository
    const ids = yield* IntegrationIds
    const sink = yield* EventSink
    const reload = yield* Config.Duration("TESSERA_INTEGRATION_SCHEDULER_RELOAD").pipe(
      Config.withDefault(Duration.seconds(2))
    )

    const fire = (config: ScheduledConfig, tick: Date, now: Date) =>
      sql.withTransaction(
        Effect.gen(function* () {
          if (!(yield* runs.claimTick(config.organizationId, config.id, tick, now))) return
          const runId = yield* ids.next("run")
          const run = yield* runs.insertQueued({
            organizationId: config.organizationId,
            id: runId,
            syncConfigId: config.id,
            trigger: "schedule",
            requestedBy: config.createdBy,
            at: now
          })
          // A run still going: this tick is claimed and skipped.
          if (Option.isNone(run)) return
          yield* runs.setTickRun(config.organizationId, config.id, tick, runId)
          const payload: { runId: SyncRunId; syncConfigId: SyncConfigId; page: number } = {
            runId: run.value.id,
            syncConfigId: run.value.syncConfigId,
            page: 0
          }
          yield* sink.publish([{ definition: SyncRequested, payload }], {
            producer: "integration",
            organizationId: config.organizationId,
            actor: { type: "user", id: config.createdBy },
            correlationId: runId
          })
        })
      )

    const round = Effect.gen(function* () {
      const now = new Date(yield* Clock.currentTimeMillis)
      const scheduled = yield* configs.scheduled
      let wake = Duration.toMillis(reload)
      for (const config of scheduled) {
        const tick = dueTick(config, now)
        if (tick !== undefined) yield* fire(config, tick, now)
        const cron = Cron.parse(config.schedule, "UTC")
        if (Result.isSuccess(cron)) wake = Math.min(wake, Cron.next(cron.success, now).getTime() - now.getTime())
      }
      return Duration.millis(Math.max(10, wake))
    }).pipe(
      Effect.catchCause((cause) =>
        Effect.as(Effect.logError("integration scheduler: a round failed; retrying", cause), reload)
      )
    )

    yield* Effect.forkScoped(Effect.forever(Effect.flatMap(round, Effect.sleep)))
  })
)
