/**
 * `pnpm seed`: a demo organization to explore — a five-stage sales pipeline, companies, contacts,
 * deals at every stage (one won) and a task, plus the learning journey's built-in tracks — and a
 * development token to call the API as a newcomer of that organization.
 *
 * The data goes in the way a user's would: through the contracts over HTTP (a server of the
 * whole stack on a loopback port for the seed's lifetime), so every rule, event and audit row
 * applies. The seeding user is `seed-bot`; the printed token is for `demo-user`, whose learning
 * journey starts untouched. Running it again changes nothing.
 */
import { createServer } from "node:http"
import { NodeHttpServer, NodeRuntime } from "@effect/platform-node"
import { Auth } from "@tessera/contract-kit/Auth"
import * as ContractApi from "@tessera/contract-kit/ContractApi"
import * as ContractClient from "@tessera/contract-kit/ContractClient"
import * as ContractKitSchema from "@tessera/contract-kit/ContractKitSchema"
import * as ContractServer from "@tessera/contract-kit/ContractServer"
import { catalog } from "@tessera/contracts/crm/Catalog"
import type { CompanyId, ContactId, DealId } from "@tessera/contracts/crm/Shared"
import * as Database from "@tessera/database/Database"
import * as BuiltInTracks from "@tessera/learning-journey/BuiltInTracks"
import { TrackRepository } from "@tessera/learning-journey/repositories/TrackRepository"
import { Console, Effect, Layer } from "effect"
import { FetchHttpClient, HttpServer } from "effect/http"
import * as Stack from "./Stack.ts"

export const DEMO_ORGANIZATION = "demo"
export const DEMO_USER = "demo-user"

const CrmApi = ContractApi.make("crm", catalog)

const eur = (major: number) => ({ amountMinor: major * 100, currency: "EUR" })

const seedCrm = Effect.gen(function* () {
  const auth = yield* Auth
  const token = yield* auth.mint({ userId: "seed-bot", organizationId: DEMO_ORGANIZATION, roles: ["admin"] })
  const baseUrl = yield* HttpServer.addressFormattedWith(Effect.succeed)
  const client = yield* ContractClient.make(CrmApi, { token, baseUrl })
  const crm = client.crm

  const existing = yield* crm["crm.pipeline.list"]({ payload: {} })
  if (existing.items.some((pipeline) => pipeline.name === "Sales")) return false

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
    payload: { type: "follow_up", title: "Send Globex the revised proposal", dealId: expansion.id, contactId: hank.id }
  })
  return true
})

const program = Effect.gen(function* () {
  const seeded = yield* seedCrm
  const tracks = yield* BuiltInTracks.install(DEMO_ORGANIZATION).pipe(Effect.provide(TrackRepository.layer))
  const auth = yield* Auth
  const token = yield* auth.mint({ userId: DEMO_USER, organizationId: DEMO_ORGANIZATION, roles: ["admin"] })
  yield* Console.log(
    [
      seeded
        ? `Seeded the "${DEMO_ORGANIZATION}" organization: a five-stage Sales pipeline, 3 companies, 4 contacts, 5 deals (one won), a task.`
        : `The "${DEMO_ORGANIZATION}" organization was seeded before; nothing changed.`,
      tracks.length > 0
        ? `Installed the learning journey's built-in tracks: ${tracks.join(", ")}.`
        : "The learning journey's built-in tracks were installed before.",
      "",
      `A development token for ${DEMO_USER} (admin of ${DEMO_ORGANIZATION}), valid 12 hours:`,
      "",
      `export TOKEN=${token}`,
      "",
      "Then, with the stack running (npm start):",
      `  curl -s -X POST localhost:3000/crm/deal/list -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{}'`,
      "  open http://localhost:3000/crm/docs"
    ].join("\n")
  )
})

/** The stack's apps on an in-process HTTP server on a free loopback port, for the seed's lifetime. */
const SeedServer = ContractServer.serve(Stack.options.routes).pipe(
  Layer.provide(Layer.mergeAll(Auth.layer, Stack.options.eventSink)),
  Layer.provideMerge(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })),
  Layer.provideMerge(FetchHttpClient.layer),
  Layer.provideMerge(Layer.mergeAll(ContractKitSchema.layer, Stack.options.migrations)),
  Layer.provideMerge(Database.layer),
  Layer.provideMerge(Auth.layer)
)

NodeRuntime.runMain(program.pipe(Effect.provide(SeedServer)))
