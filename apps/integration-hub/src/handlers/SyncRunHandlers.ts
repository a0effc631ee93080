/**
 * integration.sync.trigger, integration.syncRun.get, .list, .cancel
 *
 * `trigger` only queues: it inserts the run and requests its first page
 * (`integration.sync.requested`), which the hub's own consumer runs on the dispatcher's workers.
 */
import { implement } from "@tessera/contract-server/Implementation"
import { ConnectionDisabled } from "@tessera/contracts/integration-hub/Connections"
import { SyncFailed, SyncRequested } from "@tessera/contracts/integration-hub/Events"
import { DEFAULT_LIMIT } from "@tessera/contracts/integration-hub/Shared"
import {
  CancelSyncRun,
  GetSyncRun,
  ListSyncRuns,
  RunFinished,
  SyncAlreadyRunning,
  SyncPaused,
  SyncRunNotFound,
  TriggerSync
} from "@tessera/contracts/integration-hub/SyncRuns"
import { Clock, Effect, Option } from "effect"
import { afterCursor, paginate } from "../domain/Cursor.ts"
import { IntegrationIds } from "../domain/IntegrationIds.ts"
import { ConnectionRepository } from "../repositories/ConnectionRepository.ts"
import { RunRepository } from "../repositories/RunRepository.ts"
import { findSyncConfig } from "./SyncConfigHandlers.ts"

const runNotFound = (runId: string) =>
  new SyncRunNotFound({ runId, detail: `No sync run ${runId} in your organization.` })

export const triggerSync = implement(TriggerSync, (input, { actor, emit }) =>
  Effect.gen(function* () {
    const config = yield* findSyncConfig(actor.organizationId, input.syncConfigId)
    if (config.status === "paused") {
      return yield* new SyncPaused({ syncConfigId: config.id, detail: "The sync config is paused; resume it first." })
    }
    const connections = yield* ConnectionRepository
    for (const connectionId of [config.sourceConnectionId, config.targetConnectionId]) {
      const connection = yield* connections.find(actor.organizationId, connectionId)
      if (Option.isSome(connection) && connection.value.status === "disabled") {
        return yield* new ConnectionDisabled({ connectionId, detail: `The connection ${connectionId} is disabled.` })
      }
    }
    const runs = yield* RunRepository
    const run = yield* runs.insertQueued({
      organizationId: actor.organizationId,
      id: yield* Effect.flatMap(IntegrationIds, (ids) => ids.next("run")),
      syncConfigId: config.id,
      trigger: "manual",
      requestedBy: actor.userId,
      at: new Date(yield* Clock.currentTimeMillis)
    })
    if (Option.isNone(run)) {
      const active = yield* runs.activeRunId(actor.organizationId, config.id)
      const runId = Option.getOrElse(active, () => "")
      return yield* new SyncAlreadyRunning({ runId, detail: `The run ${runId} of this sync is not finished yet.` })
    }
    yield* emit(SyncRequested, { runId: run.value.id, syncConfigId: config.id, page: 0 })
    return run.value
  })
)

export const getSyncRun = implement(GetSyncRun, (input, { actor }) =>
  Effect.flatMap(RunRepository, (runs) =>
    Effect.flatMap(runs.find(actor.organizationId, input.runId), (found) =>
      Option.isSome(found) ? Effect.succeed(found.value) : Effect.fail(runNotFound(input.runId))
    )
  )
)

export const listSyncRuns = implement(ListSyncRuns, (input, { actor }) =>
  Effect.gen(function* () {
    const limit = input.limit ?? DEFAULT_LIMIT
    const after = yield* afterCursor(input.cursor, "integration.syncRun.list")
    const rows = yield* Effect.flatMap(RunRepository, (runs) =>
      runs.list(actor.organizationId, input.syncConfigId, limit, after)
    )
    return paginate(rows, limit, (run) => [run.queuedAt, run.id])
  })
)

export const cancelSyncRun = implement(CancelSyncRun, (input, { actor, emit }) =>
  Effect.gen(function* () {
    const runs = yield* RunRepository
    const at = new Date(yield* Clock.currentTimeMillis)
    const cancelled = yield* runs.cancel(actor.organizationId, input.runId, at)
    if (Option.isNone(cancelled)) {
      const existing = yield* runs.find(actor.organizationId, input.runId)
      if (Option.isNone(existing)) return yield* runNotFound(input.runId)
      return yield* new RunFinished({
        runId: input.runId,
        runStatus: existing.value.status,
        detail: `The run already ended (${existing.value.status}).`
      })
    }
    const run = cancelled.value
    yield* emit(SyncFailed, {
      runId: run.id,
      syncConfigId: run.syncConfigId,
      status: "cancelled",
      error: `cancelled by ${actor.userId}`,
      counts: {
        processed: run.processed,
        created: run.created,
        updated: run.updated,
        skipped: run.skipped,
        failed: run.failed
      },
      finishedAt: at.toISOString()
    })
    return run
  })
)
