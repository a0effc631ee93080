/**
 * The service business's two cross-domain flows, end to end over HTTP, through the dispatcher only
 * (no app imports another), run both ways Tessera runs:
 *
 * 1. CRM `deal.won` (version 2: with the deal's name, contact and company) → the service business
 *    drafts a quote for the deal's value, for a client matched or created from the deal's company
 *    — and the learning journey, now consuming `deal.won` v2, still completes the win step of its
 *    CRM first win track (written against v1).
 * 2. The service business's events → the learning journey's built-in "Service first job" track:
 *    add a client → schedule a job → complete it → invoice it → record the payment that settles it
 *    ends with the track completed, its XP and its badge.
 *
 * - the stack: one process with every app mounted (`apps/stack/src/main.ts`);
 * - separate processes: the CRM's, the service business's and the learning journey's own `main.ts`
 *   on one shared Postgres.
 */
import { assert, layer } from "@effect/vitest"
import type { Principal } from "@tessera/contract-kit/Contract"
import * as ContractApi from "@tessera/contract-kit/ContractApi"
import * as ContractClient from "@tessera/contract-kit/ContractClient"
import * as Auth from "@tessera/contract-server/Auth"
import { catalog as crmCatalog } from "@tessera/contracts/crm/Catalog"
import { catalog as learningCatalog } from "@tessera/contracts/learning-journey/Catalog"
import { LearnerId, TrackId } from "@tessera/contracts/learning-journey/Shared"
import { catalog as serviceCatalog } from "@tessera/contracts/service-business/Catalog"
import * as TestDatabase from "@tessera/test-harness/TestDatabase"
import { Effect, Layer, Redacted } from "effect"
import { FetchHttpClient } from "effect/http"
import { SqlClient } from "effect/sql"
import { eventually, freePort, runScript, script, spawnProcess, waitFor } from "./support/Processes.ts"

const CrmApi = ContractApi.make("crm", crmCatalog)
const ServiceApi = ContractApi.make("service", serviceCatalog)
const LearningApi = ContractApi.make("learning", learningCatalog)

const token = (principal: Principal) => Effect.orDie(Auth.mintDevToken(principal))

interface Ports {
  readonly crm: number
  readonly service: number
  readonly learning: number
}

const clients = (principal: Principal, ports: Ports) =>
  Effect.gen(function* () {
    const bearer = yield* token(principal)
    const at = (port: number) => ({ token: bearer, baseUrl: `http://127.0.0.1:${port}` })
    return {
      crm: (yield* ContractClient.make(CrmApi, at(ports.crm))).crm,
      service: (yield* ContractClient.make(ServiceApi, at(ports.service))).service,
      learning: (yield* ContractClient.make(LearningApi, at(ports.learning))).learning
    }
  })

type Clients = Effect.Success<ReturnType<typeof clients>>

const progressOf = (c: Clients, learnerId: string, trackId: string) =>
  Effect.map(
    c.learning["learning.onboarding.getProgress"]({
      payload: { learnerId: LearnerId.make(learnerId), trackId: TrackId.make(trackId) }
    }),
    (answer) => answer.items[0]
  )

/** Flow 1: a deal of a company, with a contact, won in the CRM. */
const winADeal = (c: Clients) =>
  Effect.gen(function* () {
    const pipeline = yield* c.crm["crm.pipeline.create"]({
      payload: {
        name: "Sales",
        stages: [
          { name: "Lead", probability: 10 },
          { name: "Won", probability: 100, isWon: true }
        ]
      }
    })
    const company = yield* c.crm["crm.company.create"]({ payload: { name: "Initech", domain: "initech.example" } })
    const contact = yield* c.crm["crm.contact.create"]({
      payload: { firstName: "Peter", lastName: "Gibbons", companyId: company.id }
    })
    const deal = yield* c.crm["crm.deal.create"]({
      payload: {
        name: "Initech printers",
        value: { amountMinor: 730_000, currency: "EUR" },
        pipelineId: pipeline.id,
        companyId: company.id,
        contactId: contact.id
      },
      headers: {}
    })
    yield* c.crm["crm.deal.win"]({ payload: { dealId: deal.id } })
    return { deal, company, contact }
  })

const checkDealBecameQuote = (c: Clients, won: Effect.Success<ReturnType<typeof winADeal>>) =>
  Effect.gen(function* () {
    const quote = yield* eventually(
      Effect.map(c.service["service.quote.list"]({ payload: {} }), (page) =>
        page.items.find((q) => q.sourceDealId === won.deal.id)
      )
    )
    assert.strictEqual(quote.status, "draft")
    assert.strictEqual(quote.totalMinor, 730_000)
    assert.strictEqual(quote.currency, "EUR")
    assert.strictEqual(quote.lines[0]?.description, "Initech printers")
    const client = yield* c.service["service.client.get"]({ payload: { clientId: quote.clientId } })
    assert.strictEqual(client.name, "Initech")
    assert.strictEqual(client.crmCompanyId, won.company.id)
    assert.strictEqual(client.crmContactId, won.contact.id)
    return quote
  })

/** Flow 2: the service business's first job, from a new client to the payment that settles it. */
const firstPaidJob = (c: Clients) =>
  Effect.gen(function* () {
    const client = yield* c.service["service.client.create"]({
      payload: { name: "Ada Lovelace", email: "ada@example.com" },
      headers: {}
    })
    const job = yield* c.service["service.job.schedule"]({
      payload: { clientId: client.id, date: "2025-01-20T10:00:00Z", type: "repair" },
      headers: {}
    })
    assert.strictEqual(job.status, "scheduled")
    yield* c.service["service.job.complete"]({ payload: { jobId: job.id, notes: "Done." } })
    const invoice = yield* c.service["service.invoice.issue"]({
      payload: {
        jobId: job.id,
        currency: "EUR",
        lines: [{ description: "Repair", quantity: 2, unitPriceMinor: 4500, taxRateBps: 2000 }]
      },
      headers: {}
    })
    yield* c.service["service.payment.record"]({
      payload: { invoiceId: invoice.id, amountMinor: 5000, method: "card" },
      headers: {}
    })
    const settled = yield* c.service["service.payment.record"]({
      payload: { invoiceId: invoice.id, amountMinor: invoice.totalMinor - 5000, method: "bank_transfer" },
      headers: {}
    })
    assert.strictEqual(settled.invoice.status, "paid")
  })

const checkServiceFirstJob = (c: Clients, learner: string) =>
  Effect.gen(function* () {
    const done = yield* eventually(
      Effect.map(progressOf(c, learner, "service-first-job"), (p) => (p?.status === "completed" ? p : undefined))
    )
    assert.strictEqual(done.xp, 650) // 50 + 50 + 100 + 100 + 150, and 200 for completing the track
    assert.include(done.badges, "service-first-job")
    assert.isTrue(done.steps.every((step) => step.status === "completed"))
  })

const checkCrmWinStep = (c: Clients, learner: string) =>
  Effect.gen(function* () {
    // The CRM first win's steps are sequential: pipeline, contact and deal done; the win is
    // recorded (as v2) and counts once its prerequisite (three moves) is met — here, no moves yet.
    const progress = yield* eventually(
      Effect.map(progressOf(c, learner, "crm-first-win"), (p) =>
        p !== undefined && p.steps.filter((s) => s.status === "completed").length >= 3 ? p : undefined
      )
    )
    assert.deepStrictEqual(
      progress.steps.filter((s) => s.status === "completed").map((s) => s.stepId),
      ["create-pipeline", "create-contact", "create-deal"]
    )
  })

const noDeadLetters = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  Effect.map(sql<{ n: number }>`SELECT count(*)::int AS n FROM dispatch.dead_letters`, (rows) =>
    assert.strictEqual(rows[0]?.n, 0)
  )
)

layer(TestDatabase.layer().pipe(Layer.provideMerge(FetchHttpClient.layer)), { excludeTestServices: true })(
  "the service business across domains",
  (it) => {
    it.effect(
      "flow crm.won-deal-to-quote: flow service.first-job: in the stack — deal.won v2 drafts a quote; a first paid job completes Service first job",
      () =>
        Effect.gen(function* () {
          const database = yield* TestDatabase.TestDatabase
          const url = Redacted.value(database.url)
          const port = yield* freePort
          const stack = yield* spawnProcess(script("apps/stack/src/main.ts"), { DATABASE_URL: url, PORT: String(port) })
          yield* waitFor(stack, "Tessera is up")
          yield* runScript(script("apps/stack/src/seed.ts"), ["--app", "learning", "--org", "acme"], {
            DATABASE_URL: url
          })

          const c = yield* clients(
            { userId: "ada", organizationId: "acme", roles: ["admin"] },
            {
              crm: port,
              service: port,
              learning: port
            }
          )
          const won = yield* winADeal(c)
          yield* checkDealBecameQuote(c, won)
          yield* checkCrmWinStep(c, "ada")
          yield* firstPaidJob(c)
          yield* checkServiceFirstJob(c, "ada")
          yield* noDeadLetters
        })
    )

    it.effect(
      "flow crm.won-deal-to-quote: flow service.first-job: as separate processes (CRM, service business, learning journey on one Postgres)",
      () =>
        Effect.gen(function* () {
          const database = yield* TestDatabase.TestDatabase
          const url = Redacted.value(database.url)
          yield* runScript(script("apps/stack/src/seed.ts"), ["--app", "learning", "--org", "globex"], {
            DATABASE_URL: url
          })
          const ports: Ports = { crm: yield* freePort, service: yield* freePort, learning: yield* freePort }
          const crm = yield* spawnProcess(script("apps/crm/src/main.ts"), {
            DATABASE_URL: url,
            PORT: String(ports.crm)
          })
          const service = yield* spawnProcess(script("apps/service-business/src/main.ts"), {
            DATABASE_URL: url,
            PORT: String(ports.service)
          })
          const learning = yield* spawnProcess(script("apps/learning-journey/src/main.ts"), {
            DATABASE_URL: url,
            PORT: String(ports.learning)
          })
          yield* waitFor(crm, "is up at")
          yield* waitFor(service, "is up at")
          yield* waitFor(learning, "is up at")

          const c = yield* clients({ userId: "hal", organizationId: "globex", roles: ["admin"] }, ports)
          const won = yield* winADeal(c)
          yield* checkDealBecameQuote(c, won)
          yield* checkCrmWinStep(c, "hal")
          yield* firstPaidJob(c)
          yield* checkServiceFirstJob(c, "hal")
          yield* noDeadLetters
        })
    )
  }
)
