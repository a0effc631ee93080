/**
 * crm.company.create, crm.company.list
 */
import { implement } from "@tessera/contract-server/Implementation"
import { CreateCompany, ListCompanies } from "@tessera/contracts/crm/Companies"
import { DEFAULT_LIMIT } from "@tessera/contracts/crm/Shared"
import { Clock, Effect } from "effect"
import { CrmIds } from "../domain/CrmIds.ts"
import { afterCursor, paginate } from "../domain/Cursor.ts"
import { CompanyRepository } from "../repositories/CompanyRepository.ts"

export const createCompany = implement(CreateCompany, (input, { actor }) =>
  Effect.gen(function* () {
    const companies = yield* CompanyRepository
    return yield* companies.insert({
      organizationId: actor.organizationId,
      id: yield* Effect.flatMap(CrmIds, (ids) => ids.next("company")),
      name: input.name,
      domain: input.domain ?? null,
      industry: input.industry ?? null,
      createdBy: actor.userId,
      at: new Date(yield* Clock.currentTimeMillis)
    })
  })
)

export const listCompanies = implement(ListCompanies, (input, { actor }) =>
  Effect.gen(function* () {
    const limit = input.limit ?? DEFAULT_LIMIT
    const after = yield* afterCursor(input.cursor, "crm.company.list", "text")
    const rows = yield* Effect.flatMap(CompanyRepository, (companies) =>
      companies.list(actor.organizationId, input.search, limit, after)
    )
    return paginate(rows, limit, (company) => [company.name.toLowerCase(), company.id])
  })
)
