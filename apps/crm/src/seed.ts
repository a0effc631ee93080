/**
 * The CRM's demo data for `pnpm seed` (see `App.SeedContext`). It goes in the way a user's would:
 * through the contracts over HTTP, so every rule, event and audit row applies. Running it again
 * changes nothing.
 */
import * as ContractApi from "@tessera/contract-kit/ContractApi"
import * as ContractClient from "@tessera/contract-kit/ContractClient"
import type { SeedContext } from "@tessera/contract-server/App"
import { catalog } from "@tessera/contracts/crm/Catalog"
import type { CompanyId, ContactId, DealId } from "@tessera/contracts/crm/Shared"
import { Effect } from "effect"
import { FetchHttpClient } from "effect/http"

const CrmApi = ContractApi.make("crm", catalog)

const eur = (major: number) => ({ amountMinor: major * 100, currency: "EUR" })

/**
 * The CRM's demo data, through its contracts over HTTP as the `seed-bot` admin: a five-stage Sales
 * pipeline, three companies, four contacts, five deals at every stage (one won) and a task.
 * Nothing happens when the Sales pipeline exists already.
 */
export const seed = (context: SeedContext) =>
  Effect.gen(function* () {
    const token = yield* context.token("seed-bot", ["admin"])
    const client = yield* ContractClient.make(CrmApi, { token, baseUrl: context.baseUrl })
    const crm = client.crm

    const existing = yield* crm["crm.pipeline.list"]({ payload: {} })
    if (existing.items.some((pipeline) => pipeline.name === "Sales")) return []

    const pipeline = yield* crm["crm.pipeline.create"]({
      payload: {
        name: "Sales",
        stages: [
          { name: "Lead", probability: 10 },
          { name: "Qualified", probability: 25 },
          { name: "Proposal", probability: 50 },
          { name: "Negotiation", probability: 75 },
          { name: "Won", probability: 100, isWon: true }
        ]
      }
    })
    const stage = (name: string) => {
      const found = pipeline.stages.find((s) => s.name === name)
      return found === undefined ? Effect.die(`the seed pipeline has no stage ${name}`) : Effect.succeed(found.id)
    }

    const acme = yield* crm["crm.company.create"]({
      payload: { name: "Acme", domain: "acme.example", industry: "Manufacturing" }
    })
    const globex = yield* crm["crm.company.create"]({
      payload: { name: "Globex", domain: "globex.example", industry: "Energy" }
    })
    const initech = yield* crm["crm.company.create"]({
      payload: { name: "Initech", domain: "initech.example", industry: "Software" }
    })

    const ada = yield* crm["crm.contact.create"]({
      payload: { firstName: "Ada", lastName: "Lovelace", email: "ada@acme.example", companyId: acme.id }
    })
    const hank = yield* crm["crm.contact.create"]({
      payload: { firstName: "Hank", lastName: "Scorpio", email: "hank@globex.example", companyId: globex.id }
    })
    const peter = yield* crm["crm.contact.create"]({
      payload: { firstName: "Peter", lastName: "Gibbons", email: "peter@initech.example", companyId: initech.id }
    })
    yield* crm["crm.contact.create"]({ payload: { firstName: "Milton", lastName: "Waddams", companyId: initech.id } })

    const deal = (name: string, major: number, companyId: CompanyId, contactId: ContactId) =>
      crm["crm.deal.create"]({
        payload: { name, value: eur(major), pipelineId: pipeline.id, companyId, contactId },
        headers: {}
      })
    const move = (dealId: DealId, name: string) =>
      Effect.flatMap(stage(name), (stageId) => crm["crm.deal.move"]({ payload: { dealId, stageId } }))

    const renewal = yield* deal("Acme renewal", 12_500, acme.id, ada.id)
    const expansion = yield* deal("Globex expansion", 48_000, globex.id, hank.id)
    const pilot = yield* deal("Initech pilot", 7_200, initech.id, peter.id)
    const upsell = yield* deal("Acme support upsell", 3_000, acme.id, ada.id)
    yield* deal("Globex training", 1_500, globex.id, hank.id)

    yield* move(renewal.id, "Qualified")
    yield* move(expansion.id, "Proposal")
    yield* move(pilot.id, "Negotiation")
    yield* move(upsell.id, "Proposal")
    yield* crm["crm.deal.win"]({ payload: { dealId: upsell.id, source: "referral" } })
    yield* crm["crm.task.create"]({
      payload: {
        type: "follow_up",
        title: "Send Globex the revised proposal",
        dealId: expansion.id,
        contactId: hank.id
      }
    })
    return ["CRM: a five-stage Sales pipeline, 3 companies, 4 contacts, 5 deals (one won), a task."]
  }).pipe(Effect.provide(FetchHttpClient.layer))
