/**
 * `crm.integrationRecords`: the CRM's consumer of the integration hub's `integration.record.synced`.
 * A record synced into the CRM becomes a contact, upserted by (sync config, external id): the
 * first delivery creates it, a changed record updates it, an unchanged or redelivered one changes
 * nothing. Runs in the delivery's transaction, so each record is applied once.
 *
 * Fields read from the mapped record: `firstName` (else the first word of `name`, else the
 * external id), `lastName`, `email` (kept only when it is an address), `phone`. Records for other
 * objects than `contacts` are refused (dead letter): the CRM has no such target.
 */
import { Email } from "@tessera/contracts/crm/Contacts"
import { RecordSynced } from "@tessera/contracts/integration-hub/Events"
import * as Consumer from "@tessera/dispatcher/Consumer"
import { Clock, Effect, Schema } from "effect"
import { CrmIds } from "../domain/CrmIds.ts"
import { ExternalContactRepository } from "../repositories/ExternalContactRepository.ts"

export const consumes = [RecordSynced] as const

const isEmail = Schema.is(Email)

const text = (value: unknown, max: number): string | null => {
  if (typeof value !== "string" && typeof value !== "number") return null
  const trimmed = String(value).trim()
  return trimmed === "" ? null : trimmed.slice(0, max)
}

export const IntegrationRecordConsumer = Consumer.make({
  name: "crm.integrationRecords",
  domain: "crm",
  handlers: [
    Consumer.on(RecordSynced, (event) =>
      Effect.gen(function* () {
        const { payload } = event
        if (payload.object !== "contacts") return yield* Consumer.reject(`the CRM has no ${payload.object} target`)
        const fields = payload.fields
        const name = text(fields.name, 200)
        const email = text(fields.email, 254)
        const phone = text(fields.phone, 40)
        const ids = yield* CrmIds
        const contacts = yield* ExternalContactRepository
        return yield* contacts.upsert(
          {
            organizationId: event.organization_id,
            source: payload.syncConfigId,
            externalId: payload.externalId,
            checksum: payload.checksum,
            firstName: text(fields.firstName, 200) ?? name?.split(/\s+/)[0] ?? payload.externalId.slice(0, 200),
            lastName: text(fields.lastName, 200),
            email: email !== null && isEmail(email) ? email : null,
            phone: phone !== null && phone.length >= 3 ? phone : null,
            ownerId: event.actor.id,
            at: new Date(yield* Clock.currentTimeMillis)
          },
          ids.next("contact")
        )
      })
    )
  ]
})
