/**
 * The events the integration hub publishes. `integration.record.synced` carries a mapped record
 * for the CRM (the CRM's consumer upserts it as a contact by external id): the only way records
 * reach another domain. `integration.sync.requested` is the hub's own work queue: each one asks a
 * worker to run one page of a sync run, so a run is a chain of page-sized handler calls.
 * No event carries a credential.
 */
import { define } from "@tessera/envelope/EventDefinition"
import { Schema } from "effect"
import { ConnectionId, FieldMappingId, Name, Scalar, SyncConfigId, SyncRunId, Timestamp } from "./Shared.ts"

export const ConnectionCreated = define({
  type: "integration.connection.created",
  version: 1,
  producer: "integration",
  description:
    "A connection was created. Carries its id and connector kind only (never its configuration or credentials).",
  payload: Schema.Struct({
    connectionId: ConnectionId,
    kind: Schema.Literals(["rest", "csv", "ndjson", "crm"])
  }),
  subject: (payload) => ({ type: "connection", id: payload.connectionId })
})

export const FieldMappingAdded = define({
  type: "integration.mapping.added",
  version: 1,
  producer: "integration",
  description: "A field mapping was added to a sync config.",
  payload: Schema.Struct({
    mappingId: FieldMappingId,
    syncConfigId: SyncConfigId,
    targetField: Schema.String,
    ruleType: Schema.Literals(["direct", "constant", "template", "lookup"])
  }),
  subject: (payload) => ({ type: "sync_config", id: payload.syncConfigId })
})

export const SyncConfigCreated = define({
  type: "integration.syncConfig.created",
  version: 1,
  producer: "integration",
  description: "A sync configuration was created.",
  payload: Schema.Struct({
    syncConfigId: SyncConfigId,
    name: Name,
    sourceConnectionId: ConnectionId,
    targetConnectionId: ConnectionId,
    schedule: Schema.NullOr(Schema.String),
    createdBy: Schema.String
  }),
  subject: (payload) => ({ type: "sync_config", id: payload.syncConfigId })
})

export const SyncRequested = define({
  type: "integration.sync.requested",
  version: 1,
  producer: "integration",
  description: "A page of a sync run is due: the hub's workers run it, checkpoint, and request the next page.",
  payload: Schema.Struct({
    runId: SyncRunId,
    syncConfigId: SyncConfigId,
    /** The page to run (0 first); a page already checkpointed is skipped, so redelivery is harmless. */
    page: Schema.Int
  }),
  subject: (payload) => ({ type: "sync_run", id: payload.runId })
})

export const Counts = Schema.Struct({
  processed: Schema.Int,
  created: Schema.Int,
  updated: Schema.Int,
  skipped: Schema.Int,
  failed: Schema.Int
})

export const SyncStarted = define({
  type: "integration.sync.started",
  version: 1,
  producer: "integration",
  description: "A sync run started (its first page is being read).",
  payload: Schema.Struct({
    runId: SyncRunId,
    syncConfigId: SyncConfigId,
    trigger: Schema.Literals(["manual", "schedule"]),
    startedAt: Timestamp
  }),
  subject: (payload) => ({ type: "sync_run", id: payload.runId })
})

export const SyncCompleted = define({
  type: "integration.sync.completed",
  version: 1,
  producer: "integration",
  description: "A sync run finished: succeeded, or partially failed (some records failed).",
  payload: Schema.Struct({
    runId: SyncRunId,
    syncConfigId: SyncConfigId,
    status: Schema.Literals(["succeeded", "partially_failed"]),
    counts: Counts,
    pages: Schema.Int,
    finishedAt: Timestamp
  }),
  subject: (payload) => ({ type: "sync_run", id: payload.runId })
})

export const SyncFailed = define({
  type: "integration.sync.failed",
  version: 1,
  producer: "integration",
  description: "A sync run failed as a whole (the remote was unreachable, the file missing, …), or was cancelled.",
  payload: Schema.Struct({
    runId: SyncRunId,
    syncConfigId: SyncConfigId,
    status: Schema.Literals(["failed", "cancelled"]),
    /** Summarized, without credentials. */
    error: Schema.String,
    counts: Counts,
    finishedAt: Timestamp
  }),
  subject: (payload) => ({ type: "sync_run", id: payload.runId })
})

export const RecordSynced = define({
  type: "integration.record.synced",
  version: 1,
  producer: "integration",
  description:
    "A mapped record for a Tessera target (the CRM): upserted there by external id. Carries the mapped fields, which may be personal data.",
  payload: Schema.Struct({
    runId: SyncRunId,
    syncConfigId: SyncConfigId,
    /** The target object, e.g. `contacts`. */
    object: Schema.String,
    externalId: Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(200)),
    /** Content checksum of the mapped record. */
    checksum: Schema.String,
    fields: Schema.Record(Schema.String, Scalar)
  }),
  pii: ["fields"],
  subject: (payload) => ({ type: "external_record", id: `${payload.syncConfigId}:${payload.externalId}` })
})
