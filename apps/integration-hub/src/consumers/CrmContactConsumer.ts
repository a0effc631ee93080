/**
 * `integration.crmContacts`: the hub's consumer of the CRM's `contact.created` (ids only: names and
 * addresses stay in the CRM). Each contact is recorded in `crm_records`, and every active sync
 * config of the organization that reads a CRM connection gets a run queued — the outbound sync the
 * CRM's events feed — unless one is already queued or running (it will be picked up by the next
 * run). All of it in the delivery's transaction: a redelivered event changes nothing.
 *
 * Runs started here are recorded as `manual` runs requested by the user who acted in the CRM.
 */
import { ContactCreated } from "@tessera/contracts/crm/Events"
import { SyncRequested } from "@tessera/contracts/integration-hub/Events"
import { all } from "@tessera/database/Rows"
import * as Consumer from "@tessera/dispatcher/Consumer"
import { EventSink } from "@tessera/envelope/EventSink"
import { Clock, Effect, Option, Schema } from "effect"
import { SqlClient } from "effect/sql"
import { IntegrationIds } from "../domain/IntegrationIds.ts"
import { RunRepository } from "../repositories/RunRepository.ts"

export const consumes = [ContactCreated] as const

const Reader = Schema.Struct({ id: Schema.String })

export const CrmContactConsumer = Consumer.make({
  name: "integration.crmContacts",
  domain: "integration",
  handlers: [
    Consumer.on(ContactCreated, (event) =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const organizationId = event.organization_id
        const at = new Date(yield* Clock.currentTimeMillis)
        const record = {
          id: event.payload.contactId,
          companyId: event.payload.companyId,
          ownerId: event.payload.ownerId
        }
        yield* sql`
          INSERT INTO integration.crm_records (organization_id, object, external_id, record, recorded_at)
          VALUES (${organizationId}, 'contacts', ${event.payload.contactId}, ${JSON.stringify(record)}::jsonb, ${at})
          ON CONFLICT (organization_id, object, external_id)
          DO UPDATE SET record = excluded.record, recorded_at = excluded.recorded_at,
            position = nextval('integration.crm_records_position')`
        const readers = yield* all(
          Reader,
          sql`
            SELECT s.id FROM integration.sync_configs s
            JOIN integration.connections c ON c.organization_id = s.organization_id
              AND c.id = CASE WHEN s.direction = 'source_to_target' THEN s.source_connection_id ELSE s.target_connection_id END
            WHERE s.organization_id = ${organizationId} AND s.status = 'active' AND c.kind = 'crm' AND c.status = 'active'
            ORDER BY s.id`
        )
        const runs = yield* RunRepository
        const ids = yield* IntegrationIds
        const sink = yield* EventSink
        for (const reader of readers) {
          const run = yield* runs.insertQueued({
            organizationId,
            id: yield* ids.next("run"),
            syncConfigId: reader.id,
            trigger: "manual",
            requestedBy: event.actor.id,
            at
          })
          if (Option.isNone(run)) continue
          yield* sink.publish(
            [
              {
                definition: SyncRequested,
                payload: { runId: run.value.id, syncConfigId: run.value.syncConfigId, page: 0 }
              }
            ],
            {
              producer: "integration",
              organizationId,
              actor: event.actor,
              correlationId: event.correlation_id,
              causationId: event.event_id
            }
          )
        }
      })
    )
  ]
})
