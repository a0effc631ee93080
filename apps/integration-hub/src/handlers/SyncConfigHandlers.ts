/**
 * integration.syncConfig.create, .get, .list, .pause, .resume, .preview
 */
import { implement } from "@tessera/contract-server/Implementation"
import { type Connection, ConnectionDisabled, ConnectionNotFound } from "@tessera/contracts/integration-hub/Connections"
import { SyncConfigCreated } from "@tessera/contracts/integration-hub/Events"
import { DEFAULT_LIMIT } from "@tessera/contracts/integration-hub/Shared"
import {
  ConnectorCannotRead,
  ConnectorCannotWrite,
  CreateSyncConfig,
  GetSyncConfig,
  ListSyncConfigs,
  PauseSyncConfig,
  PreviewSyncConfig,
  ResumeSyncConfig,
  SameSourceAndTarget,
  SourceUnavailable,
  SyncConfigNotFound
} from "@tessera/contracts/integration-hub/SyncConfigs"
import { Clock, Effect, Option } from "effect"
import { afterCursor, paginate } from "../domain/Cursor.ts"
import { IntegrationIds } from "../domain/IntegrationIds.ts"
import { ConnectionRepository } from "../repositories/ConnectionRepository.ts"
import { SyncConfigRepository } from "../repositories/SyncConfigRepository.ts"
import { SyncEngine } from "../services/SyncEngine.ts"

const now = Effect.map(Clock.currentTimeMillis, (millis) => new Date(millis))

export const syncConfigNotFound = (syncConfigId: string) =>
  new SyncConfigNotFound({ syncConfigId, detail: `No sync config ${syncConfigId} in your organization.` })

/** The sync config of the caller's organization, or 404. */
export const findSyncConfig = (organizationId: string, syncConfigId: string) =>
  Effect.flatMap(SyncConfigRepository, (configs) =>
    Effect.flatMap(configs.find(organizationId, syncConfigId), (found) =>
      Option.isSome(found) ? Effect.succeed(found.value) : Effect.fail(syncConfigNotFound(syncConfigId))
    )
  )

const canRead = (connection: Connection) => connection.config.kind !== "rest" || connection.config.read !== undefined

const canWrite = (connection: Connection) => connection.config.kind !== "rest" || connection.config.write !== undefined

export const createSyncConfig = implement(CreateSyncConfig, (input, { actor, emit }) =>
  Effect.gen(function* () {
    if (input.sourceConnectionId === input.targetConnectionId) {
      return yield* new SameSourceAndTarget({ detail: "A sync needs two different connections." })
    }
    const connections = yield* ConnectionRepository
    const load = (connectionId: typeof input.sourceConnectionId) =>
      Effect.gen(function* () {
        const found = yield* connections.find(actor.organizationId, connectionId)
        if (Option.isNone(found)) {
          return yield* new ConnectionNotFound({
            connectionId,
            detail: `No connection ${connectionId} in your organization.`
          })
        }
        if (found.value.status === "disabled") {
          return yield* new ConnectionDisabled({ connectionId, detail: `The connection ${connectionId} is disabled.` })
        }
        return found.value
      })
    const source = yield* load(input.sourceConnectionId)
    const target = yield* load(input.targetConnectionId)
    const direction = input.direction ?? "source_to_target"
    const [reader, writer] = direction === "source_to_target" ? [source, target] : [target, source]
    if (!canRead(reader)) {
      return yield* new ConnectorCannotRead({
        connectionId: reader.id,
        detail: `The ${reader.kind} connection ${reader.id} cannot be read${reader.kind === "rest" ? ": it has no read configuration" : ""}.`
      })
    }
    if (!canWrite(writer)) {
      return yield* new ConnectorCannotWrite({
        connectionId: writer.id,
        detail: `The connection ${writer.id} cannot be written: it has no write configuration.`
      })
    }
    const configs = yield* SyncConfigRepository
    const config = yield* configs.insert({
      organizationId: actor.organizationId,
      id: yield* Effect.flatMap(IntegrationIds, (ids) => ids.next("sync")),
      name: input.name,
      sourceConnectionId: input.sourceConnectionId,
      targetConnectionId: input.targetConnectionId,
      sourceObject: input.sourceObject ?? null,
      targetObject: input.targetObject ?? null,
      direction,
      schedule: input.schedule ?? null,
      conflictPolicy: input.conflictPolicy ?? "source_wins",
      pageSize: input.pageSize ?? 100,
      createdBy: actor.userId,
      at: yield* now
    })
    yield* emit(SyncConfigCreated, {
      syncConfigId: config.id,
      name: config.name,
      sourceConnectionId: config.sourceConnectionId,
      targetConnectionId: config.targetConnectionId,
      schedule: config.schedule,
      createdBy: actor.userId
    })
    return config
  })
)

export const getSyncConfig = implement(GetSyncConfig, (input, { actor }) =>
  findSyncConfig(actor.organizationId, input.syncConfigId)
)

export const listSyncConfigs = implement(ListSyncConfigs, (input, { actor }) =>
  Effect.gen(function* () {
    const limit = input.limit ?? DEFAULT_LIMIT
    const after = yield* afterCursor(input.cursor, "integration.syncConfig.list")
    const rows = yield* Effect.flatMap(SyncConfigRepository, (configs) =>
      configs.list(actor.organizationId, input.status, limit, after)
    )
    return paginate(rows, limit, (config) => [config.createdAt, config.id])
  })
)

const setStatus = (organizationId: string, syncConfigId: string, status: "active" | "paused") =>
  Effect.gen(function* () {
    const configs = yield* SyncConfigRepository
    const updated = yield* configs.setStatus(organizationId, syncConfigId, status, yield* now)
    return Option.isSome(updated) ? updated.value : yield* syncConfigNotFound(syncConfigId)
  })

export const pauseSyncConfig = implement(PauseSyncConfig, (input, { actor }) =>
  setStatus(actor.organizationId, input.syncConfigId, "paused")
)

export const resumeSyncConfig = implement(ResumeSyncConfig, (input, { actor }) =>
  setStatus(actor.organizationId, input.syncConfigId, "active")
)

export const previewSyncConfig = implement(PreviewSyncConfig, (input, { actor }) =>
  Effect.gen(function* () {
    const config = yield* findSyncConfig(actor.organizationId, input.syncConfigId)
    const engine = yield* SyncEngine
    const records = yield* engine
      .preview(actor.organizationId, config, input.limit ?? 10)
      .pipe(Effect.mapError((aborted) => new SourceUnavailable({ reason: aborted.message, detail: aborted.message })))
    return { records }
  })
)
