/**
 * `service.crmDeals` on real Postgres with the dispatcher's real workers: `deal.won` events
 * published as the CRM publishes them (v2, and v1 as stored before the switch, upcast on delivery)
 * become a matched-or-created client and one draft quote per deal, however often they arrive.
 */
import { assert, layer } from "@effect/vitest"
import { DealWon, DealWonV2 } from "@tessera/contracts/crm/Events"
import type { PayloadOf } from "@tessera/envelope/EventDefinition"
import { EventSink } from "@tessera/envelope/EventSink"
import * as AppTest from "@tessera/test-kit/AppTest"
import { Clock, Duration, Effect } from "effect"
import { SqlClient } from "effect/sql"
import { ServiceApp } from "../src/ServiceApp.ts"
import { clientAs } from "./support/ServiceTestLayer.ts"

const TestLayer = AppTest.layer([ServiceApp], { workers: true })

const winV2 = (dealId: string, extra: Partial<PayloadOf<typeof DealWonV2>> = {}): PayloadOf<typeof DealWonV2> =>
  DealWonV2.payload.make({
    dealId: dealId as never,
    name: `Deal ${dealId}`,
    pipelineId: "pipe_1" as never,
    stageId: "stage_won" as never,
    value: { amountMinor: 500_000, currency: "EUR" },
    ownerId: "ada" as never,
    wonSource: null,
    closedAt: "2026-11-30T09:00:00.000Z",
    contactId: null,
    contactName: null,
    companyId: null,
    companyName: null,
    ...extra
  })

const publish = (organizationId: string, definition: typeof DealWon | typeof DealWonV2, payload: unknown) =>
  Effect.flatMap(EventSink, (sink) =>
    sink.publish([{ definition, payload }], {
      producer: "crm",
      organizationId,
      actor: { type: "user", id: "ada" },
      correlationId: `corr_${organizationId}`
    })
  )

const quotesOf = (organizationId: string) =>
  Effect.flatMap(
    SqlClient.SqlClient,
    (sql) =>
      sql<{ source_deal_id: string; client_id: string; total_minor: string; currency: string; status: string }>`
      SELECT source_deal_id, client_id, total_minor::text, currency, status FROM service.quotes
      WHERE organization_id = ${organizationId} ORDER BY source_deal_id`
  )

/** A clock before deal.won v1's cutover (2026-12-14), when the CRM could still publish v1. */
const beforeV1Cutover: Clock.Clock = (() => {
  const millis = Date.parse("2026-11-20T09:00:00.000Z")
  return {
    currentTimeMillisUnsafe: () => millis,
    currentTimeMillis: Effect.succeed(millis),
    monotonicTimeNanosUnsafe: () => BigInt(millis) * 1_000_000n,
    monotonicTimeNanos: Effect.succeed(BigInt(millis) * 1_000_000n),
    currentTimeNanosUnsafe: () => BigInt(millis) * 1_000_000n,
    currentTimeNanos: Effect.succeed(BigInt(millis) * 1_000_000n),
    sleep: () => Effect.void
  }
})()

/** Waits (bounded) until every delivery of `service.crmDeals` is handled. */
const settled = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  for (let i = 0; i < 300; i++) {
    const rows = yield* sql<{
      n: number
    }>`SELECT count(*)::int AS n FROM dispatch.deliveries WHERE consumer = 'service.crmDeals'`
    const dead = yield* sql<{
      n: number
    }>`SELECT count(*)::int AS n FROM dispatch.dead_letters WHERE consumer = 'service.crmDeals'`
    if ((dead[0]?.n ?? 0) > 0) return yield* Effect.die("a deal.won went to the dead letters")
    if ((rows[0]?.n ?? 1) === 0) return
    yield* Effect.sleep(Duration.millis(100))
  }
  return yield* Effect.die("service.crmDeals did not settle")
})

layer(TestLayer, { excludeTestServices: true })("deal.won → a client and a draft quote", (it) => {
  it.effect("a won deal of a company makes its client (named after the company) and a draft quote for its value", () =>
    Effect.gen(function* () {
      const org = "org_deal_1"
      yield* publish(
        org,
        DealWonV2,
        winV2("deal_a", {
          companyId: "company_1" as never,
          companyName: "Acme",
          contactId: "contact_1" as never,
          contactName: "Ada Lovelace"
        })
      )
      yield* settled
      const service = (yield* clientAs({ userId: "ada", organizationId: org, roles: [] })).service
      const clients = yield* service["service.client.list"]({ payload: {} })
      assert.deepStrictEqual(
        clients.items.map((c) => [c.name, c.crmCompanyId, c.crmContactId]),
        [["Acme", "company_1", "contact_1"]]
      )
      const quotes = yield* service["service.quote.list"]({ payload: {} })
      assert.strictEqual(quotes.items.length, 1)
      const [quote] = quotes.items
      assert.strictEqual(quote?.status, "draft")
      assert.strictEqual(quote?.sourceDealId, "deal_a")
      assert.strictEqual(quote?.totalMinor, 500_000)
      assert.strictEqual(quote?.currency, "EUR")
      assert.strictEqual(quote?.validUntil, "2026-12-30")
      assert.strictEqual(quote?.createdBy, "ada")
      assert.deepStrictEqual(quote?.lines, [
        {
          description: "Deal deal_a",
          quantity: 1,
          unitPriceMinor: 500_000,
          taxRateBps: 0,
          netMinor: 500_000,
          taxMinor: 0,
          totalMinor: 500_000
        }
      ])
    })
  )

  it.effect(
    "idempotent: the same deal twice makes one client and one quote; a second deal of the company reuses the client",
    () =>
      Effect.gen(function* () {
        const org = "org_deal_2"
        const acme = { companyId: "company_9" as never, companyName: "Acme" }
        yield* publish(org, DealWonV2, winV2("deal_1", acme))
        yield* publish(org, DealWonV2, winV2("deal_1", acme)) // a replay, as a new event
        yield* publish(org, DealWonV2, winV2("deal_2", acme))
        yield* publish(org, DealWonV2, winV2("deal_3", { contactId: "contact_7" as never, contactName: "Hal" }))
        yield* publish(org, DealWonV2, winV2("deal_4", { contactId: "contact_7" as never, contactName: "Hal" }))
        yield* settled
        const quotes = yield* quotesOf(org)
        assert.deepStrictEqual(
          quotes.map((q) => q.source_deal_id),
          ["deal_1", "deal_2", "deal_3", "deal_4"]
        )
        assert.strictEqual(new Set(quotes.map((q) => q.client_id)).size, 2)
        const sql = yield* SqlClient.SqlClient
        const clients = yield* sql<{
          name: string
        }>`SELECT name FROM service.clients WHERE organization_id = ${org} ORDER BY name`
        assert.deepStrictEqual(
          clients.map((c) => c.name),
          ["Acme", "Hal"]
        )
      })
  )

  it.effect(
    "a deal.won v1 stored before the switch reaches the consumer upcast to v2: a client named after the deal",
    () =>
      Effect.gen(function* () {
        const org = "org_deal_3"
        yield* publish(
          org,
          DealWon,
          DealWon.payload.make({
            dealId: "deal_old" as never,
            pipelineId: "pipe_1" as never,
            stageId: "stage_won" as never,
            value: { amountMinor: 12_345, currency: "USD" },
            ownerId: "ada" as never,
            wonSource: null,
            closedAt: "2026-11-20T09:00:00.000Z"
          })
        ).pipe(Effect.provideService(Clock.Clock, beforeV1Cutover)) // published before the switch
        yield* settled
        const quotes = yield* quotesOf(org)
        assert.deepStrictEqual(
          quotes.map((q) => [q.source_deal_id, q.total_minor, q.currency, q.status]),
          [["deal_old", "12345", "USD", "draft"]]
        )
        const sql = yield* SqlClient.SqlClient
        const clients = yield* sql<{ name: string; source_deal_id: string }>`
        SELECT name, source_deal_id FROM service.clients WHERE organization_id = ${org}`
        assert.deepStrictEqual(clients, [{ name: "Deal deal_old", source_deal_id: "deal_old" }])
      })
  )
})
