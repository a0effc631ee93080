/**
 * Contacts upserted from external records (the integration hub's `integration.record.synced`),
 * keyed by (organization, source, external id). Scoped by organization.
 */
import * as Rows from "@tessera/database/Rows"
import { Context, Effect, Layer, Option, Schema } from "effect"
import { SqlClient } from "effect/sql"

export interface ExternalContact {
  readonly organizationId: string
  /** Where the record comes from: the hub's sync config id. */
  readonly source: string
  readonly externalId: string
  readonly checksum: string
  readonly firstName: string
  readonly lastName: string | null
  readonly email: string | null
  readonly phone: string | null
  readonly ownerId: string
  readonly at: Date
}

const Existing = Schema.Struct({ contactId: Schema.String, checksum: Schema.String })

export class ExternalContactRepository extends Context.Service<
  ExternalContactRepository,
  {
    /**
     * Creates the contact (with `newId`) or updates the one this external record became before;
     * nothing when its checksum is unchanged. Answers what happened.
     */
    readonly upsert: (
      contact: ExternalContact,
      newId: Effect.Effect<string>
    ) => Effect.Effect<{ readonly contactId: string; readonly outcome: "created" | "updated" | "unchanged" }>
  }
>()("@tessera/crm/ExternalContactRepository") {
  static readonly layer = Layer.effect(
    ExternalContactRepository,
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      return ExternalContactRepository.of({
        upsert: Effect.fn("ExternalContactRepository.upsert")(function* (c, newId) {
          const existing = yield* Rows.maybeOne(
            Existing,
            sql`
              SELECT contact_id AS "contactId", checksum FROM crm.external_contacts
              WHERE organization_id = ${c.organizationId} AND source = ${c.source} AND external_id = ${c.externalId}
              FOR UPDATE`
          )
          if (Option.isSome(existing)) {
            const { contactId } = existing.value
            if (existing.value.checksum === c.checksum) return { contactId, outcome: "unchanged" as const }
            yield* Rows.run(sql`
              UPDATE crm.contacts SET first_name = ${c.firstName}, last_name = ${c.lastName}, email = ${c.email},
                phone = ${c.phone}
              WHERE organization_id = ${c.organizationId} AND id = ${contactId}`)
            yield* Rows.run(sql`
              UPDATE crm.external_contacts SET checksum = ${c.checksum}, updated_at = ${c.at}
              WHERE organization_id = ${c.organizationId} AND source = ${c.source} AND external_id = ${c.externalId}`)
            return { contactId, outcome: "updated" as const }
          }
          const contactId = yield* newId
          yield* Rows.run(sql`
            INSERT INTO crm.contacts (organization_id, id, first_name, last_name, email, phone, company_id, owner_id, created_at)
            VALUES (${c.organizationId}, ${contactId}, ${c.firstName}, ${c.lastName}, ${c.email}, ${c.phone}, NULL,
              ${c.ownerId}, ${c.at})`)
          yield* Rows.run(sql`
            INSERT INTO crm.external_contacts (organization_id, source, external_id, contact_id, checksum, updated_at)
            VALUES (${c.organizationId}, ${c.source}, ${c.externalId}, ${contactId}, ${c.checksum}, ${c.at})`)
          return { contactId, outcome: "created" as const }
        })
      })
    })
  )
}
