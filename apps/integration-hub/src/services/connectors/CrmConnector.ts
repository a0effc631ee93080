/**
 * The Tessera CRM, through the dispatcher only — the hub never touches the CRM's tables:
 *
 * - as a target, each record of a page becomes an `integration.record.synced` event, published in
 *   the page's transaction (so with its checkpoint, exactly once), which the CRM's consumer
 *   upserts as a contact by external id;
 * - as a source, it reads what the CRM's events told the hub (`crm_records`, filled by the
 *   `integration.crmContacts` consumer from `contact.created`, ids only), in arrival order.
 */
import { RecordSynced } from "@tessera/contracts/integration-hub/Events"
import type { SyncConfigId, SyncRunId } from "@tessera/contracts/integration-hub/Shared"
import { all } from "@tessera/database/Rows"
import { type EmitContext, EventSink } from "@tessera/envelope/EventSink"
import { Effect, Schema } from "effect"
import type { SqlClient } from "effect/sql"
import type { Health, Page, Source, Target } from "./Connector.ts"

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

const Row = Schema.Struct({ position: Schema.String, record: Schema.Record(Schema.String, Schema.Unknown) })

/** The CRM's records of `object` for an organization, a page at a time after `position`. */
export const makeSource = (sql: SqlClient.SqlClient, organizationId: string, object: string): Source => ({
  readPage: (position, size) =>
    Effect.map(
      all(
        Row,
        sql`
          SELECT position::text AS position, record FROM integration.crm_records
          WHERE organization_id = ${organizationId} AND object = ${object} AND position > ${position ?? "0"}::bigint
          ORDER BY position LIMIT ${size}`
      ),
      (rows): Page => ({
        items: rows.map((row) => ({ _tag: "Record", record: row.record })),
        next: rows.length < size ? null : (rows.at(-1)?.position ?? null)
      })
    )
})
