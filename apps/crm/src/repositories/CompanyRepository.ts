/**
 * Companies, scoped by organization. Rows leave the database in the API's shape.
 */
import { Company, CompanyDomainTaken } from "@tessera/contracts/crm/Companies"
import * as Rows from "@tessera/database/Rows"
import { Context, Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"

export interface NewCompany {
  readonly organizationId: string
  readonly id: string
  readonly name: string
  readonly domain: string | null
  readonly industry: string | null
  readonly createdBy: string
  readonly at: Date
}

export class CompanyRepository extends Context.Service<
  CompanyRepository,
  {
    readonly insert: (company: NewCompany) => Effect.Effect<Company, CompanyDomainTaken>
    readonly exists: (organizationId: string, companyId: string) => Effect.Effect<boolean>
    /** By name then id; `limit + 1` rows. */
    readonly list: (
      organizationId: string,
      search: string | undefined,
      limit: number,
      after: readonly [name: string, id: string] | undefined
    ) => Effect.Effect<ReadonlyArray<Company>>
  }
>()("@tessera/crm/CompanyRepository") {
  static readonly layer = Layer.effect(
    CompanyRepository,
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const columns = sql.literal(`c.id, c.name, c.domain, c.industry, crm.iso(c.created_at) AS "createdAt"`)

      return CompanyRepository.of({
        insert: Effect.fn("CompanyRepository.insert")(function* (company) {
          return yield* Rows.one(
            Company,
            Rows.unique(
              sql`
                WITH c AS (
                  INSERT INTO crm.companies (organization_id, id, name, domain, industry, created_by, created_at)
                  VALUES (${company.organizationId}, ${company.id}, ${company.name}, ${company.domain}, ${company.industry},
                    ${company.createdBy}, ${company.at})
                  RETURNING *)
                SELECT ${columns} FROM c`,
              () =>
                new CompanyDomainTaken({
                  domain: company.domain ?? "",
                  detail: `Another company already has the domain ${company.domain}.`
                }),
              { constraint: "companies_domain" }
            )
          )
        }),

        exists: Effect.fn("CompanyRepository.exists")(function* (organizationId, companyId) {
          return yield* Rows.some(
            sql`SELECT 1 FROM crm.companies WHERE organization_id = ${organizationId} AND id = ${companyId}`
          )
        }),

        list: Effect.fn("CompanyRepository.list")(function* (organizationId, search, limit, after) {
          return yield* Rows.all(
            Company,
            sql`
            SELECT ${columns} FROM crm.companies c
            WHERE ${sql.and([
              sql`c.organization_id = ${organizationId}`,
              ...(search === undefined ? [] : [sql`c.name ILIKE ${Rows.containsPattern(search)}`]),
              ...(after === undefined ? [] : [sql`(lower(c.name), c.id) > (${after[0]}, ${after[1]})`])
            ])}
            ORDER BY lower(c.name), c.id
            LIMIT ${limit + 1}`
          )
        })
      })
    })
  )
}
