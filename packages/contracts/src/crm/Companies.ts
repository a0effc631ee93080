/**
 * Companies: the organizations deals and contacts belong to.
 */
import { command, query } from "@tessera/contract-kit/Contract"
import { ContractError } from "@tessera/contract-kit/ContractError"
import { Schema } from "effect"
import { CompanyId, Cursor, InvalidCursor, Limit, Name, owners, Timestamp } from "./Shared.ts"

/** A lower-case internet domain, e.g. `acme.example`. */
export const Domain = Schema.String.check(
  Schema.isMaxLength(253),
  Schema.isPattern(/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/)
).pipe(Schema.annotate({ description: "Lower-case internet domain" }))

export const Company = Schema.Struct({
  id: CompanyId,
  name: Name,
  domain: Schema.NullOr(Domain),
  industry: Schema.NullOr(Schema.String),
  createdAt: Timestamp
})
export type Company = typeof Company.Type

export class CompanyDomainTaken extends ContractError<CompanyDomainTaken>()(
  "CompanyDomainTaken",
  {
    code: "COMPANY_DOMAIN_TAKEN",
    status: 409,
    title: "Company domain taken",
    when: "Another company of the organization has this domain"
  },
  { domain: Schema.String }
) {}

export const CreateCompany = command({
  meta: {
    key: "crm.company.create",
    version: "1.0.0",
    stability: "stable",
    owners,
    tags: ["crm", "company", "create"],
    description: "Add a company.",
    goal: "Group contacts and deals by the organization they belong to.",
    context: "Account capture."
  },
  input: Schema.Struct({
    name: Name,
    domain: Schema.optionalKey(Domain),
    industry: Schema.optionalKey(Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(100)))
  }),
  output: Company,
  errors: [CompanyDomainTaken],
  policy: { auth: "user" },
  acceptance: {
    scenarios: [
      {
        key: "create-company-happy-path",
        given: ["User is authenticated"],
        when: ["User adds a company with a domain"],
        then: ["Company is created"]
      },
      {
        key: "create-company-duplicate-domain",
        given: ["A company with domain acme.example exists"],
        when: ["User adds another company with that domain"],
        then: ["The call is refused with 409 COMPANY_DOMAIN_TAKEN"]
      }
    ],
    examples: [
      {
        key: "create-acme",
        input: { name: "Acme", domain: "acme.example", industry: "Manufacturing" },
        output: {
          id: "company_1",
          name: "Acme",
          domain: "acme.example",
          industry: "Manufacturing",
          createdAt: "2025-01-20T09:00:00.000Z"
        }
      }
    ]
  }
})

export const ListCompanies = query({
  meta: {
    key: "crm.company.list",
    version: "1.0.0",
    stability: "stable",
    owners,
    tags: ["crm", "company", "list"],
    description: "List companies by name, a page at a time.",
    goal: "Find a company to attach contacts and deals to.",
    context: "Company pickers and lists."
  },
  input: Schema.Struct({
    search: Schema.optionalKey(Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(200))),
    limit: Schema.optionalKey(Limit),
    cursor: Schema.optionalKey(Cursor)
  }),
  output: Schema.Struct({ items: Schema.Array(Company), nextCursor: Schema.NullOr(Cursor) }),
  errors: [InvalidCursor],
  policy: { auth: "user" },
  acceptance: {
    scenarios: [
      {
        key: "list-companies-search",
        given: ["Companies Acme and Globex exist"],
        when: ["User searches for 'acm'"],
        then: ["Only Acme is returned"]
      }
    ],
    examples: [
      {
        key: "search-acme",
        input: { search: "acm" },
        output: {
          items: [
            {
              id: "company_1",
              name: "Acme",
              domain: "acme.example",
              industry: null,
              createdAt: "2025-01-20T09:00:00.000Z"
            }
          ],
          nextCursor: null
        }
      }
    ]
  }
})
