/**
 * Every example of every service-business contract, run as written against the real app: the
 * state the example presumes is put in place (with the example's own ids), the example's input is
 * sent over HTTP, and the answer must equal the example's output — except for what the server
 * generates (new ids, timestamps of now, the year in an invoice number), which must have the right form.
 *
 * This is how `service.job.schedule`'s seed example works as written: `{ clientId: "client-123",
 * date: "2025-01-20T10:00:00Z", type: "repair" }` answers the job `{ id, status: "scheduled", … }`.
 */
import { assert, layer } from "@effect/vitest"
import { catalog } from "@tessera/contracts/service-business/Catalog"
import * as Examples from "@tessera/test-kit/Examples"
import { Effect } from "effect"
import { HttpClient, HttpClientRequest } from "effect/http"
import { SqlClient } from "effect/sql"
import { auth, ServiceTestLayer } from "./support/ServiceTestLayer.ts"

type World = "client" | "draftQuote" | "sentQuote" | "job" | "completedJob" | "invoice" | "paidInvoice"

/** What each example presumes exists, by example key. */
const given: Record<string, ReadonlyArray<World>> = {
  "create-ada": [],
  "get-ada": ["client"],
  "search-ada": ["client"],
  "quote-boiler-service": ["client"],
  "send-boiler-quote": ["client", "draftQuote"],
  "accept-boiler-quote": ["client", "sentQuote"],
  "reject-boiler-quote": ["client", "sentQuote"],
  "get-boiler-quote": ["client", "draftQuote"],
  "list-drafts-of-client": ["client", "draftQuote"],
  "schedule-repair": ["client"],
  "start-repair": ["client", "job"],
  "complete-repair": ["client", "job"],
  "cancel-repair": ["client", "job"],
  "reschedule-repair": ["client", "job"],
  "assign-repair": ["client", "job"],
  "get-repair": ["client", "job"],
  "list-scheduled": ["client", "job"],
  "invoice-repair": ["client", "completedJob"],
  "send-repair-invoice": ["client", "completedJob", "invoice"],
  "void-repair-invoice": ["client", "completedJob", "invoice"],
  "get-repair-invoice": ["client", "completedJob", "invoice"],
  "list-issued": ["client", "completedJob", "invoice"],
  "pay-repair-invoice": ["client", "completedJob", "invoice"],
  "refund-part-of-repair": ["client", "completedJob", "paidInvoice"]
}

const CREATED = "2025-01-10T09:00:00.000Z"

const quoteLines = JSON.stringify([
  {
    description: "Boiler service",
    quantity: 1,
    unitPriceMinor: 12_000,
    taxRateBps: 2000,
    netMinor: 12_000,
    taxMinor: 2400,
    totalMinor: 14_400
  },
  {
    description: "Replacement valve",
    quantity: 3,
    unitPriceMinor: 1999,
    taxRateBps: 550,
    netMinor: 5997,
    taxMinor: 330,
    totalMinor: 6327
  }
])
const invoiceLines = JSON.stringify([
  {
    description: "Repair, labour",
    quantity: 2,
    unitPriceMinor: 4500,
    taxRateBps: 2000,
    netMinor: 9000,
    taxMinor: 1800,
    totalMinor: 10_800
  }
])

const build = (organizationId: string, parts: ReadonlyArray<World>) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const has = (part: World) => parts.includes(part)
    if (has("client")) {
      yield* sql`INSERT INTO service.clients (organization_id, id, name, email, phone, created_by, created_at)
                 VALUES (${organizationId}, 'client-123', 'Ada Lovelace', 'ada@example.com', '+44 20 7946 0000', 'user-1', ${CREATED})`
    }
    if (has("draftQuote") || has("sentQuote")) {
      const sent = has("sentQuote")
      yield* sql`INSERT INTO service.quotes (organization_id, id, client_id, status, currency, lines, subtotal_minor,
                   tax_minor, total_minor, valid_until, sent_at, created_by, created_at, updated_at)
                 VALUES (${organizationId}, 'quote-42', 'client-123', ${sent ? "sent" : "draft"}, 'EUR', ${quoteLines}::jsonb,
                   17997, 2730, 20727, '2999-12-31', ${sent ? "2025-01-11T09:00:00.000Z" : null}, 'user-1', ${CREATED}, ${CREATED})`
    }
    if (has("job") || has("completedJob")) {
      const completed = has("completedJob")
      yield* sql`INSERT INTO service.jobs (organization_id, id, client_id, type, status, scheduled_at, completed_at,
                   created_by, created_at, updated_at)
                 VALUES (${organizationId}, 'job-456', 'client-123', 'repair', ${completed ? "completed" : "scheduled"},
                   '2025-01-20T10:00:00Z', ${completed ? "2025-01-20T11:00:00.000Z" : null}, 'user-1',
                   '2025-01-15T09:00:00.000Z', '2025-01-15T09:00:00.000Z')`
    }
    if (has("invoice") || has("paidInvoice")) {
      const paid = has("paidInvoice")
      yield* sql`INSERT INTO service.invoice_counters (organization_id, year, last_sequence) VALUES (${organizationId}, 2025, 1)`
      yield* sql`INSERT INTO service.invoices (organization_id, id, number, year, sequence, client_id, job_id, status,
                   currency, lines, subtotal_minor, tax_minor, total_minor, paid_minor, issued_at, due_date, paid_at,
                   created_by, updated_at)
                 VALUES (${organizationId}, 'invoice-9', 'INV-2025-0001', 2025, 1, 'client-123', 'job-456',
                   ${paid ? "paid" : "issued"}, 'EUR', ${invoiceLines}::jsonb, 9000, 1800, 10800, ${paid ? 10_800 : 0},
                   '2025-01-21T09:00:00.000Z', '2999-12-31', ${paid ? "2025-01-23T09:00:00.000Z" : null}, 'user-1',
                   '2025-01-21T09:00:00.000Z')`
    }
    if (has("paidInvoice")) {
      yield* sql`INSERT INTO service.payments (organization_id, id, invoice_id, kind, amount_minor, method, reference,
                   received_at, recorded_by, created_at)
                 VALUES (${organizationId}, 'payment-1', 'invoice-9', 'payment', 10800, 'bank_transfer', 'REF 2025-17',
                   '2025-01-23T09:00:00.000Z', 'user-1', '2025-01-23T09:00:00.000Z')`
    }
  })

const INVOICE_NUMBER = /^INV-\d{4}-(\d{4,})$/

/** Generated: timestamps, new ids, and the year of a new invoice number (its sequence must match). */
const normalize = Examples.normalizer({
  ids: Examples.generatedId(["client", "quote", "job", "invoice", "payment"]),
  generated: (key, actual, expected) =>
    key === "number" && INVOICE_NUMBER.exec(actual)?.[1] === INVOICE_NUMBER.exec(expected)?.[1]
})

const examples = Examples.examplesOf(catalog)

layer(ServiceTestLayer, { excludeTestServices: true })("every service-business example, as written", (it) => {
  it("covers every contract with at least one example and one scenario", () => {
    for (const contract of catalog) {
      assert.isAbove(contract.acceptance.examples.length, 0, `${contract.key} has no example`)
      assert.isAbove(contract.acceptance.scenarios.length, 0, `${contract.key} has no scenario`)
      for (const example of contract.acceptance.examples) {
        assert.isDefined(given[example.key], `${contract.key}: example ${example.key} has no given state here`)
      }
    }
  })

  examples.forEach(({ contract, example }, index) => {
    it.effect(`${contract.key}: ${example.key}`, () =>
      Effect.gen(function* () {
        const organizationId = `org_example_${index}`
        yield* build(organizationId, given[example.key] ?? [])
        const token = yield* auth.mint({ userId: "user-1", organizationId, roles: ["admin"] })
        const http = yield* HttpClient.HttpClient
        const response = yield* http.execute(
          HttpClientRequest.post(contract.http.path).pipe(
            HttpClientRequest.bodyJsonUnsafe(example.input),
            HttpClientRequest.bearerToken(token)
          )
        )
        const body = yield* response.json
        assert.strictEqual(response.status, 200, JSON.stringify(body))
        assert.deepStrictEqual(normalize(body, example.output), example.output)
      })
    )
  })
})
