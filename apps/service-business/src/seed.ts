/**
 * The service business's demo data for `pnpm seed` (see `App.SeedContext`), through its contracts
 * over HTTP as the `seed-bot` admin, so every rule, event and audit row applies: three clients, a
 * quote sent and accepted, jobs in every status (one in the past, recorded after the fact), an
 * invoice paid in full and one partly paid. Nothing happens when the demo client exists already.
 */
import * as ContractApi from "@tessera/contract-kit/ContractApi"
import * as ContractClient from "@tessera/contract-kit/ContractClient"
import type { SeedContext } from "@tessera/contract-server/App"
import { catalog } from "@tessera/contracts/service-business/Catalog"
import type { JobType } from "@tessera/contracts/service-business/Events"
import { Clock, Effect } from "effect"
import { FetchHttpClient } from "effect/http"

const ServiceApi = ContractApi.make("service", catalog)

const DEMO_CLIENT = "Northwind Plumbing Ltd"

export const seed = (context: SeedContext) =>
  Effect.gen(function* () {
    const token = yield* context.token("seed-bot", ["admin"])
    const client = yield* ContractClient.make(ServiceApi, { token, baseUrl: context.baseUrl })
    const service = client.service

    const existing = yield* service["service.client.list"]({ payload: { search: DEMO_CLIENT } })
    if (existing.items.length > 0) return []

    const millis = yield* Clock.currentTimeMillis
    const day = (offset: number, hour = 9) => {
      const date = new Date(millis + offset * 86_400_000)
      date.setUTCHours(hour, 0, 0, 0)
      return date.toISOString()
    }
    const validUntil = day(30).slice(0, 10)

    const northwind = yield* service["service.client.create"]({
      payload: { name: DEMO_CLIENT, email: "office@northwind.example", phone: "+1 555 0100", address: "1 Harbour St" },
      headers: {}
    })
    const ada = yield* service["service.client.create"]({
      payload: { name: "Ada Lovelace", email: "ada@example.com" },
      headers: {}
    })
    const globex = yield* service["service.client.create"]({ payload: { name: "Globex facilities" }, headers: {} })

    const quote = yield* service["service.quote.create"]({
      payload: {
        clientId: northwind.id,
        currency: "EUR",
        validUntil,
        lines: [
          { description: "Boiler installation", quantity: 1, unitPriceMinor: 180_000, taxRateBps: 2000 },
          { description: "Radiator valve", quantity: 6, unitPriceMinor: 1999, taxRateBps: 2000 }
        ]
      },
      headers: {}
    })
    yield* service["service.quote.send"]({ payload: { quoteId: quote.id } })
    yield* service["service.quote.accept"]({ payload: { quoteId: quote.id, acceptedBy: "Nora Northwind" } })
    yield* service["service.quote.create"]({
      payload: {
        clientId: globex.id,
        currency: "EUR",
        validUntil,
        lines: [{ description: "Annual maintenance contract", quantity: 12, unitPriceMinor: 9_500, taxRateBps: 2000 }]
      },
      headers: {}
    })

    const schedule = (clientId: typeof ada.id, date: string, type: JobType, extra = {}) =>
      service["service.job.schedule"]({ payload: { clientId, date, type, ...extra }, headers: {} })

    const installation = yield* schedule(northwind.id, day(-3), "installation", {
      quoteId: quote.id,
      assigneeId: "tech-1",
      durationMinutes: 240
    })
    yield* service["service.job.start"]({ payload: { jobId: installation.id } })
    yield* service["service.job.complete"]({ payload: { jobId: installation.id, notes: "Installed and tested." } })
    const paidInvoice = yield* service["service.invoice.issue"]({ payload: { jobId: installation.id }, headers: {} })
    yield* service["service.invoice.send"]({ payload: { invoiceId: paidInvoice.id } })
    yield* service["service.payment.record"]({
      payload: {
        invoiceId: paidInvoice.id,
        amountMinor: paidInvoice.totalMinor,
        method: "bank_transfer",
        reference: "NW-001"
      },
      headers: {}
    })

    // Work recorded after the fact: a repair done last week.
    const repair = yield* schedule(ada.id, day(-7, 14), "repair", { assigneeId: "tech-2" })
    yield* service["service.job.complete"]({ payload: { jobId: repair.id, notes: "Replaced the tap washer." } })
    const partlyPaid = yield* service["service.invoice.issue"]({
      payload: {
        jobId: repair.id,
        currency: "EUR",
        lines: [
          { description: "Call-out", quantity: 1, unitPriceMinor: 6_000, taxRateBps: 2000 },
          { description: "Labour (hours)", quantity: 2, unitPriceMinor: 4_500, taxRateBps: 2000 }
        ]
      },
      headers: {}
    })
    yield* service["service.payment.record"]({
      payload: { invoiceId: partlyPaid.id, amountMinor: 10_000, method: "card" },
      headers: {}
    })

    yield* schedule(globex.id, day(2), "maintenance", { assigneeId: "tech-1", location: "Globex HQ, plant room" })
    yield* schedule(ada.id, day(5, 11), "repair")
    const cancelled = yield* schedule(globex.id, day(9), "inspection")
    yield* service["service.job.cancel"]({ payload: { jobId: cancelled.id, reason: "Postponed by the client." } })

    return [
      "Service business: 3 clients, 2 quotes (one accepted), 5 jobs (two completed, one cancelled), 2 invoices (one paid, one partly paid)."
    ]
  }).pipe(Effect.provide(FetchHttpClient.layer))
