/**
 * Contacts, scoped by organization. Rows leave the database in the API's shape.
 */
import { Contact } from "@tessera/contracts/crm/Contacts"
import * as Rows from "@tessera/database/Rows"
import { Context, Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"

export interface NewContact {
  readonly organizationId: string
  readonly id: string
  readonly firstName: string
  readonly lastName: string | null
  readonly email: string | null
  readonly phone: string | null
  readonly companyId: string | null
  readonly ownerId: string
  readonly at: Date
}

export class ContactRepository extends Context.Service<
  ContactRepository,
  {
    readonly insert: (contact: NewContact) => Effect.Effect<Contact>
    readonly exists: (organizationId: string, contactId: string) => Effect.Effect<boolean>
    /** Newest first; `limit + 1` rows. */
    readonly list: (
      organizationId: string,
      filters: { readonly companyId?: string | undefined; readonly search?: string | undefined },
      limit: number,
      after: readonly [createdAt: string, id: string] | undefined
    ) => Effect.Effect<ReadonlyArray<Contact>>
  }
>()("@tessera/crm/ContactRepository") {
  static readonly layer = Layer.effect(
    ContactRepository,
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const columns = sql.literal(`
        c.id, c.first_name AS "firstName", c.last_name AS "lastName", c.email, c.phone,
        c.company_id AS "companyId", c.owner_id AS "ownerId", crm.iso(c.created_at) AS "createdAt"`)

      return ContactRepository.of({
        insert: Effect.fn("ContactRepository.insert")(function* (contact) {
          return yield* Rows.one(
            Contact,
            sql`
              WITH c AS (
                INSERT INTO crm.contacts (organization_id, id, first_name, last_name, email, phone, company_id, owner_id, created_at)
                VALUES (${contact.organizationId}, ${contact.id}, ${contact.firstName}, ${contact.lastName}, ${contact.email},
                  ${contact.phone}, ${contact.companyId}, ${contact.ownerId}, ${contact.at})
                RETURNING *)
              SELECT ${columns} FROM c`
          )
        }),

        exists: Effect.fn("ContactRepository.exists")(function* (organizationId, contactId) {
          return yield* Rows.some(
            sql`SELECT 1 FROM crm.contacts WHERE organization_id = ${organizationId} AND id = ${contactId}`
          )
        }),

        list: Effect.fn("ContactRepository.list")(function* (organizationId, filters, limit, after) {
          return yield* Rows.all(
            Contact,
            sql`
              SELECT ${columns} FROM crm.contacts c
              WHERE ${sql.and([
                sql`c.organization_id = ${organizationId}`,
                ...(filters.companyId === undefined ? [] : [sql`c.company_id = ${filters.companyId}`]),
                ...(filters.search === undefined
                  ? []
                  : [
                      sql`(c.first_name || ' ' || coalesce(c.last_name, '') || ' ' || coalesce(c.email, '')) ILIKE ${Rows.containsPattern(filters.search)}`
                    ]),
                ...(after === undefined ? [] : [sql`(c.created_at, c.id) < (${after[0]}::timestamptz, ${after[1]})`])
              ])}
              ORDER BY c.created_at DESC, c.id DESC
              LIMIT ${limit + 1}`
          )
        })
      })
    })
  )
}
