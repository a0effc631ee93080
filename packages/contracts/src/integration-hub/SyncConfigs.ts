/**
 * Sync configurations: which connection's records go to which, in which direction, on which
 * schedule, and what to do with records the target already holds. `create` is the seed's
 * `integration.syncConfig.create`: `{ name, sourceConnectionId, targetConnectionId }` answers
 * `{ id, status: "active", … }` and emits `integration.syncConfig.created`.
 */
import { command, query } from "@tessera/contract-kit/Contract"
import { ContractError } from "@tessera/contract-kit/ContractError"
import { Cron, Result, Schema } from "effect"
import { ConnectionDisabled, ConnectionNotFound } from "./Connections.ts"
import { SyncConfigCreated } from "./Events.ts"
import { ConnectionId, Cursor, InvalidCursor, Limit, Name, owners, Scalar, SyncConfigId, Timestamp } from "./Shared.ts"

/** A cron expression (5 fields, or 6 with seconds first), evaluated in UTC by Effect's `Cron`. */
export const CronExpression = Schema.String.check(
  Schema.isMaxLength(100),
  Schema.makeFilter((expression: string) => {
    const parsed = Cron.parse(expression)
    return Result.isSuccess(parsed) ? undefined : `not a cron expression: ${parsed.failure.message}`
  })
).pipe(Schema.annotate({ description: "Cron expression, e.g. `0 * * * *` (UTC)" }))

/** `source_to_target` reads the source and writes the target; `target_to_source` the other way. */
export const Direction = Schema.Literals(["source_to_target", "target_to_source"])
export type Direction = typeof Direction.Type

/**
 * What to do with a record whose external id was synced before and whose content changed:
 * `source_wins` writes it again (an update); `target_wins` leaves the target's version (skipped).
 */
export const ConflictPolicy = Schema.Literals(["source_wins", "target_wins"])
export type ConflictPolicy = typeof ConflictPolicy.Type

export const SyncConfigStatus = Schema.Literals(["active", "paused"])

/** An object (table, resource) name of a connection, e.g. `contacts`. */
export const ObjectName = Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(100))

export const PageSize = Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 5000 }))

export const SyncConfig = Schema.Struct({
  id: SyncConfigId,
  name: Name,
  sourceConnectionId: ConnectionId,
  targetConnectionId: ConnectionId,
  sourceObject: Schema.NullOr(ObjectName),
  targetObject: Schema.NullOr(ObjectName),
  direction: Direction,
  schedule: Schema.NullOr(CronExpression),
  conflictPolicy: ConflictPolicy,
  /** Records per page: the unit of progress, checkpoints and retries. */
  pageSize: PageSize,
  status: SyncConfigStatus,
  createdAt: Timestamp,
  updatedAt: Timestamp
})
export type SyncConfig = typeof SyncConfig.Type

export class SyncConfigNotFound extends ContractError<SyncConfigNotFound>()(
  "SyncConfigNotFound",
  {
    code: "SYNC_CONFIG_NOT_FOUND",
    status: 404,
    title: "Sync config not found",
    when: "No sync config with this id in the caller's organization"
  },
  { syncConfigId: Schema.String }
) {}

export class SameSourceAndTarget extends ContractError<SameSourceAndTarget>()("SameSourceAndTarget", {
  code: "SAME_SOURCE_AND_TARGET",
  status: 422,
  title: "Source and target are the same",
  when: "The source connection is also the target"
}) {}

export class ConnectorCannotRead extends ContractError<ConnectorCannotRead>()(
  "ConnectorCannotRead",
  {
    code: "CONNECTOR_CANNOT_READ",
    status: 422,
    title: "The connection cannot be read",
    when: "The reading side has no read configuration (a REST connection without `read`)"
  },
  { connectionId: Schema.String }
) {}

export class ConnectorCannotWrite extends ContractError<ConnectorCannotWrite>()(
  "ConnectorCannotWrite",
  {
    code: "CONNECTOR_CANNOT_WRITE",
    status: 422,
    title: "The connection cannot be written",
    when: "The writing side has no write configuration (a REST connection without `write`)"
  },
  { connectionId: Schema.String }
) {}

const example = {
  id: "sync-123",
  name: "Contacts Sync",
  sourceConnectionId: "conn-1",
  targetConnectionId: "conn-2",
  sourceObject: null,
  targetObject: null,
  direction: "source_to_target",
  schedule: null,
  conflictPolicy: "source_wins",
  pageSize: 100,
  status: "active",
  createdAt: "2025-01-20T09:00:00.000Z",
  updatedAt: "2025-01-20T09:00:00.000Z"
} as const

export const CreateSyncConfig = command({
  meta: {
    key: "integration.syncConfig.create",
    version: "1.0.0",
    stability: "stable",
    owners,
    tags: ["integration", "sync", "config", "create"],
    description: "Create a sync configuration.",
    goal: "Define how data should be synchronized.",
    context: "Sync setup."
  },
  input: Schema.Struct({
    name: Name,
    sourceConnectionId: ConnectionId,
    targetConnectionId: ConnectionId,
    sourceObject: Schema.optionalKey(ObjectName),
    targetObject: Schema.optionalKey(ObjectName),
    /** Default `source_to_target`. */
    direction: Schema.optionalKey(Direction),
    /** Runs on this cron schedule (UTC) besides manual triggers; none when omitted. */
    schedule: Schema.optionalKey(CronExpression),
    /** Default `source_wins`. */
    conflictPolicy: Schema.optionalKey(ConflictPolicy),
    /** Default 100. */
    pageSize: Schema.optionalKey(PageSize)
  }),
  output: SyncConfig,
  errors: [ConnectionNotFound, ConnectionDisabled, SameSourceAndTarget, ConnectorCannotRead, ConnectorCannotWrite],
  policy: { auth: "user" },
  emits: [{ event: SyncConfigCreated, when: "Sync config created" }],
  acceptance: {
    scenarios: [
      {
        key: "create-sync-happy-path",
        given: ["User is authenticated"],
        when: ["User creates sync config"],
        then: ["Sync config is created", "SyncConfigCreated event is emitted"]
      },
      {
        key: "create-sync-same-source-and-target",
        given: ["A connection"],
        when: ["User creates a sync config from it to itself"],
        then: ["The call is refused with 422 SAME_SOURCE_AND_TARGET"]
      },
      {
        key: "create-sync-other-organization-connection",
        given: ["A connection of another organization"],
        when: ["User creates a sync config using it"],
        then: ["The call is refused with 404 CONNECTION_NOT_FOUND"]
      },
      {
        key: "create-sync-invalid-schedule",
        given: ["Two connections"],
        when: ['User creates a sync config with the schedule "every day"'],
        then: ["The call is refused with 400 INVALID_INPUT naming the schedule"]
      }
    ],
    examples: [
      {
        key: "create-contact-sync",
        input: { name: "Contacts Sync", sourceConnectionId: "conn-1", targetConnectionId: "conn-2" },
        output: example
      }
    ]
  }
})

export const GetSyncConfig = query({
  meta: {
    key: "integration.syncConfig.get",
    version: "1.0.0",
    stability: "stable",
    owners,
    tags: ["integration", "sync", "config", "get"],
    description: "Read one sync configuration.",
    goal: "See how data is synchronized.",
    context: "Sync details."
  },
  input: Schema.Struct({ syncConfigId: SyncConfigId }),
  output: SyncConfig,
  errors: [SyncConfigNotFound],
  policy: { auth: "user" },
  acceptance: {
    scenarios: [
      {
        key: "get-sync-config-other-organization",
        given: ["A sync config of another organization"],
        when: ["User reads it"],
        then: ["The call is refused with 404 SYNC_CONFIG_NOT_FOUND"]
      }
    ],
    examples: [{ key: "get-contact-sync", input: { syncConfigId: "sync-123" }, output: example }]
  }
})

export const ListSyncConfigs = query({
  meta: {
    key: "integration.syncConfig.list",
    version: "1.0.0",
    stability: "stable",
    owners,
    tags: ["integration", "sync", "config", "list"],
    description: "List the organization's sync configurations, newest first, a page at a time.",
    goal: "Find the syncs of the organization.",
    context: "Sync lists."
  },
  input: Schema.Struct({
    status: Schema.optionalKey(SyncConfigStatus),
    limit: Schema.optionalKey(Limit),
    cursor: Schema.optionalKey(Cursor)
  }),
  output: Schema.Struct({ items: Schema.Array(SyncConfig), nextCursor: Schema.NullOr(Cursor) }),
  errors: [InvalidCursor],
  policy: { auth: "user" },
  acceptance: {
    scenarios: [
      {
        key: "list-sync-configs-by-status",
        given: ["An active and a paused sync config"],
        when: ["User lists the paused ones"],
        then: ["Only the paused one is returned"]
      }
    ]
  }
})

export const PauseSyncConfig = command({
  meta: {
    key: "integration.syncConfig.pause",
    version: "1.0.0",
    stability: "stable",
    owners,
    tags: ["integration", "sync", "config", "pause"],
    description: "Pause a sync: its schedule no longer fires and it cannot be triggered.",
    goal: "Stop a sync for a while.",
    context: "Sync lifecycle."
  },
  input: Schema.Struct({ syncConfigId: SyncConfigId }),
  output: SyncConfig,
  errors: [SyncConfigNotFound],
  policy: { auth: "user" },
  acceptance: {
    scenarios: [
      {
        key: "pause-and-resume",
        given: ["An active sync config"],
        when: ["User pauses it, then resumes it"],
        then: ["It is paused, then active again"]
      }
    ]
  }
})

export const ResumeSyncConfig = command({
  meta: {
    key: "integration.syncConfig.resume",
    version: "1.0.0",
    stability: "stable",
    owners,
    tags: ["integration", "sync", "config", "resume"],
    description: "Resume a paused sync.",
    goal: "Sync again.",
    context: "Sync lifecycle."
  },
  input: Schema.Struct({ syncConfigId: SyncConfigId }),
  output: SyncConfig,
  errors: [SyncConfigNotFound],
  policy: { auth: "user" },
  acceptance: {
    scenarios: [
      {
        key: "resume-paused-sync",
        given: ["A paused sync config"],
        when: ["User resumes it and triggers a run"],
        then: ["It is active and the run is queued"]
      }
    ]
  }
})

export const PreviewRecord = Schema.Struct({
  externalId: Schema.NullOr(Schema.String),
  source: Schema.Record(Schema.String, Schema.Unknown),
  /** The record as it would be written; null when mapping it failed. */
  mapped: Schema.NullOr(Schema.Record(Schema.String, Scalar)),
  error: Schema.NullOr(Schema.String)
})

export class SourceUnavailable extends ContractError<SourceUnavailable>()(
  "SourceUnavailable",
  {
    code: "SOURCE_UNAVAILABLE",
    status: 502,
    title: "The source could not be read",
    when: "The remote answered with an error or could not be reached (the message never holds a credential)"
  },
  { reason: Schema.String }
) {}

export const PreviewSyncConfig = query({
  meta: {
    key: "integration.syncConfig.preview",
    version: "1.0.0",
    stability: "stable",
    owners,
    tags: ["integration", "sync", "config", "preview"],
    description: "Map the first records of the source with the sync's mappings, without writing anything.",
    goal: "Check mappings before running a sync.",
    context: "Mapping setup."
  },
  input: Schema.Struct({
    syncConfigId: SyncConfigId,
    /** Records to map: 1 to 50, 10 when omitted. */
    limit: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 50 })))
  }),
  output: Schema.Struct({ records: Schema.Array(PreviewRecord) }),
  errors: [SyncConfigNotFound, ConnectorCannotRead, SourceUnavailable],
  policy: { auth: "user" },
  acceptance: {
    scenarios: [
      {
        key: "preview-maps-without-writing",
        given: ["A sync from a file to a REST API, with mappings"],
        when: ["User previews three records"],
        then: ["Three records come back mapped as a run would write them", "Nothing was written to the target"]
      }
    ]
  }
})
