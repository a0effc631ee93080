/**
 * The Tessera CRM as a target, through the dispatcher only: each record of a page becomes an
 * `integration.record.synced` event, published in the page's transaction (so with its
 * checkpoint, exactly once), which the CRM's consumer upserts as a contact by external id. The
 * hub never touches the CRM's tables.
 */
import { RecordSynced } from "@tessera/contracts/integration-hub/Events"
import type { SyncConfigId, SyncRunId } from "@tessera/contracts/integration-hub/Shared"
import { type EmitContext, EventSink } from "@tessera/envelope/EventSink"
import { Effect } from "effect"
import type { Health, Target } from "./Connector.ts"

export interface CrmTargetContext {
  readonly runId: SyncRunId
  readonly syncConfigId: SyncConfigId
  readonly object: string
  readonly emit: EmitContext
}

export const makeTarget = (context: CrmTargetContext) =>
  Effect.map(
    EventSink,
    (sink): Target => ({
      write: (records) =>
        records.length === 0
          ? Effect.succeed({ failures: [], state: null })
          : sink
              .publish(
                records.map((record) => ({
                  definition: RecordSynced,
                  payload: {
                    runId: context.runId,
                    syncConfigId: context.syncConfigId,
                    object: context.object,
                    externalId: record.externalId,
                    checksum: record.checksum,
                    fields: record.fields
                  }
                })),
                context.emit
              )
              .pipe(
                // The outbox refusing a registered event is a bug, not the remote's failure.
                Effect.orDie,
                Effect.as({ failures: [], state: null })
              )
    })
  )

export const health: Health = { ok: true, message: "the CRM is reached through the dispatcher" }
