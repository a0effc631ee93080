/**
 * The service business's two cross-domain flows, end to end over HTTP, through the dispatcher only
 * (no app imports another), on the test kit (docs/testing.md) in both run modes — the apps in this
 * process, and the CRM's, the service business's and the learning journey's own `main.ts` as child
 * processes on one Postgres (`TESSERA_TEST_MODE` picks one; unset, both run):
 *
 * 1. CRM `deal.won` (version 2: with the deal's name, contact and company) → the service business
 *    drafts a quote for the deal's value, for a client matched or created from the deal's company
 *    — and the learning journey, now consuming `deal.won` v2, still completes the win step of its
 *    CRM first win track (written against v1).
 * 2. The service business's events → the learning journey's built-in "Service first job" track:
 *    add a client → schedule a job → complete it → invoice it → record the payment that settles it
 *    ends with the track completed, its XP and its badge.
 *
 * `stack.settle()` waits until every consumer has handled everything (and fails on a handler's
 * error or a dead letter), so nothing here polls.
 */
import { assert } from "@effect/vitest"
import { catalog as crmCatalog } from "@tessera/contracts/crm/Catalog"
import { catalog as learningCatalog } from "@tessera/contracts/learning-journey/Catalog"
import { LearnerId, TrackId } from "@tessera/contracts/learning-journey/Shared"
import { catalog as serviceCatalog } from "@tessera/contracts/service-business/Catalog"
import * as StackTest from "@tessera/test-kit/StackTest"
import { Effect } from "effect"
import { mains } from "../src/Mains.ts"
import * as Stack from "../src/Stack.ts"

const catalogs = { crm: crmCatalog, service: serviceCatalog, learning: learningCatalog }
type Clients = StackTest.Clients<typeof catalogs>

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
    const page = yield* c.service["service.quote.list"]({ payload: {} })
    const quote = page.items.find((q) => q.sourceDealId === won.deal.id)
    if (quote === undefined) return assert.fail(`no quote drafted for ${won.deal.id}`)
    assert.strictEqual(page.items.filter((q) => q.sourceDealId === won.deal.id).length, 1, "one quote per deal")
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
    const done = yield* progressOf(c, learner, "service-first-job")
    if (done === undefined) return assert.fail(`no Service first job progress for ${learner}`)
    assert.strictEqual(done.status, "completed")
    assert.strictEqual(done.xp, 650) // 50 + 50 + 100 + 100 + 150, and 200 for completing the track
    assert.include(done.badges, "service-first-job")
    assert.isTrue(done.steps.every((step) => step.status === "completed"))
  })

const checkCrmWinStep = (c: Clients, learner: string) =>
  Effect.gen(function* () {
    // The CRM first win's steps are sequential: pipeline, contact and deal done; the win is
    // recorded (as v2) and counts once its prerequisite (three moves) is met — here, no moves yet.
    const progress = yield* progressOf(c, learner, "crm-first-win")
    if (progress === undefined) return assert.fail(`no CRM first win progress for ${learner}`)
    assert.deepStrictEqual(
      progress.steps.filter((s) => s.status === "completed").map((s) => s.stepId),
      ["create-pipeline", "create-contact", "create-deal"]
    )
  })

for (const mode of StackTest.modes()) {
  const stack = StackTest.make({ apps: Stack.apps, domains: ["crm", "service", "learning"], mains, catalogs, mode })

  stack.describe(`the service business across domains (${mode})`, (it) => {
    it.effect(
      "flow crm.won-deal-to-quote: deal.won v2 drafts one quote for the deal's client; the CRM first win still counts the win",
      () =>
        Effect.gen(function* () {
          yield* stack.seed("initech", { domains: ["learning"] })
          const c = yield* stack.clients({ userId: "peter", organizationId: "initech", roles: ["admin"] })
          const won = yield* winADeal(c)
          yield* stack.settle()
          yield* checkDealBecameQuote(c, won)
          yield* checkCrmWinStep(c, "peter")
          // Handing deal.won over again makes no second client or quote.
          assert.isAbove(yield* stack.faults.redeliver("service.crmDeals", { organizationId: "initech" }), 0)
          yield* stack.settle()
          yield* checkDealBecameQuote(c, won)
        })
    )

    it.effect("flow service.first-job: a first paid job completes the learning journey's Service first job", () =>
      Effect.gen(function* () {
        yield* stack.seed("acme", { domains: ["learning"] })
        const c = yield* stack.clients({ userId: "ada", organizationId: "acme", roles: ["admin"] })
        yield* firstPaidJob(c)
        yield* stack.settle()
        yield* checkServiceFirstJob(c, "ada")
      })
    )
  })
}
