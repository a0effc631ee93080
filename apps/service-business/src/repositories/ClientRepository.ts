/**
 * Clients. Rows leave the database in the API's shape (see `columns`), decoded by the contract's
 * `Client` schema. Every method takes the organization first.
 */
import { Client } from "@tessera/contracts/service-business/Clients"
import { Context, Effect, Layer, type Option } from "effect"
import { SqlClient } from "effect/sql"
import { all, containsPattern, maybeOne, one } from "./Sql.ts"

export interface NewClient {
  readonly organizationId: string
  readonly id: string
  readonly name: string
  readonly email: string | null
  readonly phone: string | null
  readonly address: string | null
  readonly crmContactId: string | null
  readonly crmCompanyId: string | null
  readonly sourceDealId: string | null
  readonly createdBy: string
  readonly at: Date
}

/** What a won CRM deal is matched on: its company, else its contact, else the deal itself. */
export interface DealParty {
  readonly companyId: string | null
  readonly contactId: string | null
  readonly dealId: string
}

export class ClientRepository extends Context.Service<
  ClientRepository,
  {
    readonly insert: (client: NewClient) => Effect.Effect<Client>
    readonly findById: (organizationId: string, clientId: string) => Effect.Effect<Option.Option<Client>>
    /** By name (case-insensitive), then id; `limit + 1` rows so the caller can tell whether a next page exists. */
    readonly list: (
      organizationId: string,
      search: string | undefined,
      limit: number,
      after: readonly [lowerName: string, id: string] | undefined
    ) => Effect.Effect<ReadonlyArray<Client>>
    /** The client a won deal belongs to (by company, else contact, else the deal), oldest first. */
    readonly findForDeal: (organizationId: string, party: DealParty) => Effect.Effect<Option.Option<Client>>
  }
>()("@tessera/service-business/ClientRepository") {
  static readonly layer = Layer.effect(
    ClientRepository,
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const columns = sql.literal(`
        c.id, c.name, c.email, c.phone, c.address, c.crm_contact_id AS "crmContactId",
        c.crm_company_id AS "crmCompanyId", service.iso(c.created_at) AS "createdAt"`)

      return ClientRepository.of({
        insert: (client) =>
          one(Client)(sql`
            WITH c AS (
              INSERT INTO service.clients (organization_id, id, name, email, phone, address, crm_contact_id,
                crm_company_id, source_deal_id, created_by, created_at)
              VALUES (${client.organizationId}, ${client.id}, ${client.name}, ${client.email}, ${client.phone},
                ${client.address}, ${client.crmContactId}, ${client.crmCompanyId}, ${client.sourceDealId},
                ${client.createdBy}, ${client.at})
              RETURNING *)
            SELECT to_json(r) AS j FROM (SELECT ${columns} FROM c) r`),

        findById: (organizationId, clientId) =>
          maybeOne(Client)(sql`
            SELECT to_json(r) AS j FROM (
              SELECT ${columns} FROM service.clients c WHERE c.organization_id = ${organizationId} AND c.id = ${clientId}
            ) r`),

        list: (organizationId, search, limit, after) =>
          all(Client)(sql`
            SELECT to_json(r) AS j FROM (
              SELECT ${columns} FROM service.clients c
              WHERE c.organization_id = ${organizationId}
                ${search === undefined ? sql.literal("") : sql`AND (c.name ILIKE ${containsPattern(search)} OR c.email ILIKE ${containsPattern(search)})`}
                ${after === undefined ? sql.literal("") : sql`AND (lower(c.name), c.id) > (${after[0]}, ${after[1]})`}
              ORDER BY lower(c.name), c.id
              LIMIT ${limit + 1}
            ) r`),

        findForDeal: (organizationId, party) => {
          const match =
            party.companyId !== null
              ? sql`c.crm_company_id = ${party.companyId}`
              : party.contactId !== null
                ? sql`c.crm_contact_id = ${party.contactId} AND c.crm_company_id IS NULL`
                : sql`c.source_deal_id = ${party.dealId}`
          return maybeOne(Client)(sql`
            SELECT to_json(r) AS j FROM (
              SELECT ${columns} FROM service.clients c
              WHERE c.organization_id = ${organizationId} AND ${match}
              ORDER BY c.created_at, c.id LIMIT 1
            ) r`)
        }
      })
    })
  )
}
