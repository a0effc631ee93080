/**
 * integration.connection.create, .get, .list, .rotateCredentials, .test, .disable
 *
 * Credentials are sealed (encrypted, bound to the organization and connection) before they
 * reach a repository; answers carry only whether credentials are stored.
 */
import { implement } from "@tessera/contract-server/Implementation"
import {
  ConnectionNotFound,
  CreateConnection,
  CredentialsNotApplicable,
  DisableConnection,
  GetConnection,
  ListConnections,
  RotateCredentials,
  TestConnection
} from "@tessera/contracts/integration-hub/Connections"
import { ConnectionCreated } from "@tessera/contracts/integration-hub/Events"
import { DEFAULT_LIMIT } from "@tessera/contracts/integration-hub/Shared"
import { Clock, Effect, Option } from "effect"
import { afterCursor, paginate } from "../domain/Cursor.ts"
import { IntegrationIds } from "../domain/IntegrationIds.ts"
import { ConnectionRepository } from "../repositories/ConnectionRepository.ts"
import { CredentialVault } from "../services/CredentialVault.ts"
import { SyncEngine } from "../services/SyncEngine.ts"

const now = Effect.map(Clock.currentTimeMillis, (millis) => new Date(millis))

const notFound = (connectionId: string) =>
  new ConnectionNotFound({ connectionId, detail: `No connection ${connectionId} in your organization.` })

const notApplicable = (kind: string) =>
  new CredentialsNotApplicable({ detail: `A ${kind} connection takes no credentials; only REST connections do.` })

export const createConnection = implement(CreateConnection, (input, { actor, emit }) =>
  Effect.gen(function* () {
    if (input.credentials !== undefined && input.config.kind !== "rest") return yield* notApplicable(input.config.kind)
    const id = yield* Effect.flatMap(IntegrationIds, (ids) => ids.next("conn"))
    const vault = yield* CredentialVault
    const sealed =
      input.credentials === undefined
        ? null
        : yield* vault.seal(input.credentials, { organizationId: actor.organizationId, connectionId: id })
    const connections = yield* ConnectionRepository
    const connection = yield* connections.insert({
      organizationId: actor.organizationId,
      id,
      name: input.name,
      config: input.config,
      sealed,
      createdBy: actor.userId,
      at: yield* now
    })
    yield* emit(ConnectionCreated, { connectionId: connection.id, kind: connection.kind })
    return connection
  })
)

export const getConnection = implement(GetConnection, (input, { actor }) =>
  Effect.flatMap(ConnectionRepository, (connections) =>
    Effect.flatMap(connections.find(actor.organizationId, input.connectionId), (found) =>
      Option.isSome(found) ? Effect.succeed(found.value) : Effect.fail(notFound(input.connectionId))
    )
  )
)

export const listConnections = implement(ListConnections, (input, { actor }) =>
  Effect.gen(function* () {
    const limit = input.limit ?? DEFAULT_LIMIT
    const after = yield* afterCursor(input.cursor, "integration.connection.list")
    const rows = yield* Effect.flatMap(ConnectionRepository, (connections) =>
      connections.list(actor.organizationId, input.kind, limit, after)
    )
    return paginate(rows, limit, (connection) => [connection.createdAt, connection.id])
  })
)

export const rotateCredentials = implement(RotateCredentials, (input, { actor }) =>
  Effect.gen(function* () {
    const connections = yield* ConnectionRepository
    const existing = yield* connections.find(actor.organizationId, input.connectionId)
    if (Option.isNone(existing)) return yield* notFound(input.connectionId)
    if (existing.value.kind !== "rest") return yield* notApplicable(existing.value.kind)
    const vault = yield* CredentialVault
    const sealed = yield* vault.seal(input.credentials, {
      organizationId: actor.organizationId,
      connectionId: input.connectionId
    })
    const updated = yield* connections.setCredentials(actor.organizationId, input.connectionId, sealed, yield* now)
    return Option.isSome(updated) ? updated.value : yield* notFound(input.connectionId)
  })
)

export const testConnection = implement(TestConnection, (input, { actor }) =>
  Effect.gen(function* () {
    const connections = yield* ConnectionRepository
    const found = yield* connections.findSealed(actor.organizationId, input.connectionId)
    if (Option.isNone(found)) return yield* notFound(input.connectionId)
    const engine = yield* SyncEngine
    const endpoint = yield* engine.endpoint(actor.organizationId, found.value.connection, found.value.sealed, undefined)
    const started = yield* Clock.currentTimeMillis
    const health = yield* endpoint.health
    const finished = yield* Clock.currentTimeMillis
    const disabled = found.value.connection.status === "disabled"
    return {
      connectionId: found.value.connection.id,
      ok: health.ok && !disabled,
      message: disabled ? `the connection is disabled (${health.message})` : health.message,
      latencyMs: finished - started,
      checkedAt: new Date(finished).toISOString()
    }
  })
)

export const disableConnection = implement(DisableConnection, (input, { actor }) =>
  Effect.gen(function* () {
    const connections = yield* ConnectionRepository
    const updated = yield* connections.disable(actor.organizationId, input.connectionId, yield* now)
    return Option.isSome(updated) ? updated.value : yield* notFound(input.connectionId)
  })
)
