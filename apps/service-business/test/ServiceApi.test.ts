/**
 * Every service-business operation through real HTTP and the derived client, on real Postgres with
 * the dispatcher's outbox: one test per acceptance scenario (named by its key), the events each call
 * stores (payloads checked), the money rules, the job and invoice lifecycles, and tenancy.
 */
import { assert, layer } from "@effect/vitest"
import type { Principal } from "@tessera/contract-kit/Contract"
import type { LineInput } from "@tessera/contracts/service-business/Shared"
import { Effect } from "effect"
import { HttpClient, HttpClientRequest } from "effect/http"
import { SqlClient } from "effect/sql"
import { auth, clientAs, ServiceTestLayer, storedEvents } from "./support/ServiceTestLayer.ts"

let orgCounter = 0
/** A fresh organization per test, so tests in this file never see each other's rows. */
const freshOrg = () => {
  orgCounter++
  const organizationId = `org_${orgCounter}`
  return {
    organizationId,
    user: { userId: `user_${orgCounter}`, organizationId, roles: [] } satisfies Principal
  }
}

type Service = Effect.Success<ReturnType<typeof clientAs>>["service"]

const serviceAs = (principal: Principal) => Effect.map(clientAs(principal), (client) => client.service)

/** A raw POST, for what the derived client would refuse to send (it validates before sending). */
const rawPost = (path: string, body: unknown, principal: Principal) =>
  Effect.gen(function* () {
    const http = yield* HttpClient.HttpClient
    const response = yield* http.execute(
      HttpClientRequest.post(path).pipe(
        HttpClientRequest.bodyJsonUnsafe(body),
        HttpClientRequest.bearerToken(yield* auth.mint(principal))
      )
    )
    const json = yield* response.json
    return { status: response.status, body: JSON.stringify(json) }
  })

const count = (table: string, organizationId: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<{
      n: number
    }>`SELECT count(*)::int AS n FROM ${sql(`service.${table}`)} WHERE organization_id = ${organizationId}`.pipe(
      Effect.map((rows) => rows[0]?.n ?? -1)
    )
  )

const eventsOf = (organizationId: string, type: string) =>
  Effect.map(storedEvents(organizationId), (events) => events.filter((event) => event.event_type === type))

const FUTURE = "2999-12-31"
const PAST = "2020-01-01"
const line = (unitPriceMinor: number, quantity = 1, taxRateBps = 2000, description = "Work"): LineInput => ({
  description,
  quantity,
  unitPriceMinor,
  taxRateBps
})

const newClient = (service: Service, name = "Ada Lovelace") =>
  service["service.client.create"]({ payload: { name, email: "ada@example.com" }, headers: {} })

const newQuote = (service: Service, clientId: string, lines: ReadonlyArray<LineInput>, validUntil = FUTURE) =>
  service["service.quote.create"]({
    payload: { clientId: clientId as never, currency: "EUR", lines: [...lines] as never, validUntil },
    headers: {}
  })

const schedule = (
  service: Service,
  clientId: string,
  extra: { date?: string; quoteId?: string; assigneeId?: string } = {}
) =>
  service["service.job.schedule"]({
    payload: {
      clientId: clientId as never,
      date: extra.date ?? "2025-01-20T10:00:00Z",
      type: "repair",
      ...(extra.quoteId === undefined ? {} : { quoteId: extra.quoteId as never }),
      ...(extra.assigneeId === undefined ? {} : { assigneeId: extra.assigneeId as never })
    },
    headers: {}
  })

/** A completed job of a new client, and an invoice for it with `lines`. */
const invoiced = (service: Service, lines: ReadonlyArray<LineInput>, dueDate = FUTURE) =>
  Effect.gen(function* () {
    const client = yield* newClient(service)
    const job = yield* schedule(service, client.id)
    yield* service["service.job.complete"]({ payload: { jobId: job.id } })
    const invoice = yield* service["service.invoice.issue"]({
      payload: { jobId: job.id, lines: [...lines] as never, currency: "EUR", dueDate },
      headers: {}
    })
    return { client, job, invoice }
  })

layer(ServiceTestLayer, { excludeTestServices: true })("service business over HTTP", (it) => {
  // ---------------------------------------------------------------------------------------------
  // Clients

  it.effect("create-client-happy-path: created, service.client.created stored with ids only", () =>
    Effect.gen(function* () {
      const { user, organizationId } = freshOrg()
      const service = yield* serviceAs(user)
      const client = yield* service["service.client.create"]({
        payload: {
          name: "Ada Lovelace",
          email: "ada@example.com",
          phone: "+44 20 7946 0000",
          address: "12 St James's Sq"
        },
        headers: {}
      })
      assert.match(client.id, /^client_[0-9a-f-]{36}$/)
      assert.strictEqual(client.email, "ada@example.com")
      const events = yield* storedEvents(organizationId)
      assert.strictEqual(events.length, 1)
      assert.strictEqual(events[0]?.event_type, "service.client.created")
      assert.deepStrictEqual(events[0]?.payload, { clientId: client.id })
      assert.strictEqual(events[0]?.actor_id, user.userId)
      // Personal data stays out of the audit row too.
      const sql = yield* SqlClient.SqlClient
      const audit = yield* sql<{ text: string }>`SELECT row_to_json(a)::text AS text FROM contract_kit.audit_log a
        WHERE organization_id = ${organizationId}`
      assert.strictEqual(audit.length, 1)
      assert.notInclude(audit[0]?.text ?? "", "ada@example.com")
    })
  )

  it.effect("create-client-invalid-email: 400 INVALID_INPUT, nothing written", () =>
    Effect.gen(function* () {
      const { user, organizationId } = freshOrg()
      const answer = yield* rawPost("/service/client/create", { name: "Bad", email: "not-an-email" }, user)
      assert.strictEqual(answer.status, 400)
      assert.include(answer.body, "INVALID_INPUT")
      assert.strictEqual(yield* count("clients", organizationId), 0)
    })
  )

  it.effect("get-client-other-organization: 404 CLIENT_NOT_FOUND", () =>
    Effect.gen(function* () {
      const a = freshOrg()
      const b = freshOrg()
      const client = yield* newClient(yield* serviceAs(a.user))
      const error = yield* Effect.flip(
        (yield* serviceAs(b.user))["service.client.get"]({ payload: { clientId: client.id } })
      )
      assert.strictEqual(error._tag, "ClientNotFound")
    })
  )

  it.effect("list-clients-search-and-pages and list-clients-own-organization", () =>
    Effect.gen(function* () {
      const a = freshOrg()
      const b = freshOrg()
      const service = yield* serviceAs(a.user)
      for (const name of ["Bravo plumbing", "alpha heating", "Charlie plumbing", "Delta plumbing", "echo"]) {
        yield* newClient(service, name)
      }
      yield* newClient(yield* serviceAs(b.user), "Foxtrot plumbing")
      const names: Array<string> = []
      let cursor: string | undefined
      let pages = 0
      do {
        const page = yield* service["service.client.list"]({
          payload: { search: "plumbing", limit: 2, ...(cursor === undefined ? {} : { cursor }) }
        })
        names.push(...page.items.map((c) => c.name))
        cursor = page.nextCursor ?? undefined
        pages++
      } while (cursor !== undefined)
      assert.deepStrictEqual(names, ["Bravo plumbing", "Charlie plumbing", "Delta plumbing"])
      assert.strictEqual(pages, 2)
      const all = yield* service["service.client.list"]({ payload: {} })
      assert.deepStrictEqual(
        all.items.map((c) => c.name),
        ["alpha heating", "Bravo plumbing", "Charlie plumbing", "Delta plumbing", "echo"]
      )
    })
  )

  // ---------------------------------------------------------------------------------------------
  // Quotes

  it.effect("create-quote-exact-totals: tax per line half up, integer sums", () =>
    Effect.gen(function* () {
      const { user } = freshOrg()
      const service = yield* serviceAs(user)
      const client = yield* newClient(service)
      const quote = yield* newQuote(service, client.id, [
        line(12_000, 1, 2000),
        line(1999, 3, 550), // 5997 × 5.5 % = 329.835 → 330
        line(5, 1, 1000), // 0.5 → 1 (half up)
        line(4, 1, 1000) // 0.4 → 0
      ])
      assert.deepStrictEqual(
        quote.lines.map((l) => [l.netMinor, l.taxMinor, l.totalMinor]),
        [
          [12_000, 2400, 14_400],
          [5997, 330, 6327],
          [5, 1, 6],
          [4, 0, 4]
        ]
      )
      assert.strictEqual(quote.subtotalMinor, 18_006)
      assert.strictEqual(quote.taxMinor, 2731)
      assert.strictEqual(quote.totalMinor, 20_737)
      assert.strictEqual(quote.status, "draft")
    })
  )

  it.effect("create-quote-total-too-large: 422 AMOUNT_TOO_LARGE; an unsafe amount is 400 at the edge", () =>
    Effect.gen(function* () {
      const { user, organizationId } = freshOrg()
      const service = yield* serviceAs(user)
      const client = yield* newClient(service)
      const error = yield* Effect.flip(
        newQuote(service, client.id, [line(Number.MAX_SAFE_INTEGER - 10, 1, 0), line(11, 1, 0)])
      )
      assert.strictEqual(error._tag, "AmountTooLarge")
      const overflowLine = yield* Effect.flip(newQuote(service, client.id, [line(Number.MAX_SAFE_INTEGER, 2, 0)]))
      assert.strictEqual(overflowLine._tag, "AmountTooLarge")
      assert.strictEqual(yield* count("quotes", organizationId), 0)
      // Over the safe range, or fractional: refused before any handler runs.
      const raw = yield* rawPost(
        "/service/quote/create",
        {
          clientId: client.id,
          currency: "EUR",
          validUntil: FUTURE,
          lines: [{ description: "x", quantity: 1, unitPriceMinor: Number.MAX_SAFE_INTEGER + 2, taxRateBps: 0 }]
        },
        user
      )
      assert.strictEqual(raw.status, 400)
      const fractional = yield* rawPost(
        "/service/quote/create",
        {
          clientId: client.id,
          currency: "EUR",
          validUntil: FUTURE,
          lines: [{ description: "x", quantity: 1, unitPriceMinor: 12.5, taxRateBps: 0 }]
        },
        user
      )
      assert.strictEqual(fractional.status, 400)
      assert.strictEqual(yield* count("quotes", organizationId), 0)
    })
  )

  it.effect("create-quote-other-organization-client: 404 CLIENT_NOT_FOUND", () =>
    Effect.gen(function* () {
      const a = freshOrg()
      const b = freshOrg()
      const client = yield* newClient(yield* serviceAs(a.user))
      const error = yield* Effect.flip(newQuote(yield* serviceAs(b.user), client.id, [line(100)]))
      assert.strictEqual(error._tag, "ClientNotFound")
      assert.strictEqual(yield* count("quotes", b.organizationId), 0)
    })
  )

  it.effect("send-quote-happy-path and send-quote-twice: sent with sentAt, service.quote.sent stored; again 409", () =>
    Effect.gen(function* () {
      const { user, organizationId } = freshOrg()
      const service = yield* serviceAs(user)
      const client = yield* newClient(service)
      const quote = yield* newQuote(service, client.id, [line(10_000)])
      const sent = yield* service["service.quote.send"]({ payload: { quoteId: quote.id } })
      assert.strictEqual(sent.status, "sent")
      assert.isNotNull(sent.sentAt)
      const [event] = yield* eventsOf(organizationId, "service.quote.sent")
      assert.deepStrictEqual(event?.payload, {
        quoteId: quote.id,
        clientId: client.id,
        totalMinor: 12_000,
        currency: "EUR",
        validUntil: FUTURE,
        sentAt: sent.sentAt
      })
      const again = yield* Effect.flip(service["service.quote.send"]({ payload: { quoteId: quote.id } }))
      assert.strictEqual(again._tag, "QuoteNotDraft")
    })
  )

  it.effect("accept-quote-happy-path: accepted with who and when, service.quote.accepted stored", () =>
    Effect.gen(function* () {
      const { user, organizationId } = freshOrg()
      const service = yield* serviceAs(user)
      const client = yield* newClient(service)
      const quote = yield* newQuote(service, client.id, [line(10_000)])
      yield* service["service.quote.send"]({ payload: { quoteId: quote.id } })
      const accepted = yield* service["service.quote.accept"]({ payload: { quoteId: quote.id, acceptedBy: "Ada" } })
      assert.strictEqual(accepted.status, "accepted")
      assert.strictEqual(accepted.acceptedBy, "Ada")
      const [event] = yield* eventsOf(organizationId, "service.quote.accepted")
      assert.deepStrictEqual(event?.payload, {
        quoteId: quote.id,
        clientId: client.id,
        totalMinor: 12_000,
        currency: "EUR",
        acceptedBy: "Ada",
        acceptedAt: accepted.acceptedAt
      })
    })
  )

  it.effect("accept-expired-quote: 409 QUOTE_EXPIRED, the quote reads as expired", () =>
    Effect.gen(function* () {
      const { user } = freshOrg()
      const service = yield* serviceAs(user)
      const client = yield* newClient(service)
      const quote = yield* newQuote(service, client.id, [line(10_000)])
      yield* service["service.quote.send"]({ payload: { quoteId: quote.id } })
      // Time passes: the quote's last valid day is behind us.
      const sql = yield* SqlClient.SqlClient
      yield* sql`UPDATE service.quotes SET valid_until = ${PAST}::date WHERE id = ${quote.id}`
      const error = yield* Effect.flip(
        service["service.quote.accept"]({ payload: { quoteId: quote.id, acceptedBy: "Ada" } })
      )
      assert.strictEqual(error._tag, "QuoteExpired")
      const read = yield* service["service.quote.get"]({ payload: { quoteId: quote.id } })
      assert.strictEqual(read.status, "expired")
    })
  )

  it.effect("accept-draft-quote: 409 QUOTE_NOT_SENT", () =>
    Effect.gen(function* () {
      const { user } = freshOrg()
      const service = yield* serviceAs(user)
      const client = yield* newClient(service)
      const quote = yield* newQuote(service, client.id, [line(10_000)])
      const error = yield* Effect.flip(
        service["service.quote.accept"]({ payload: { quoteId: quote.id, acceptedBy: "Ada" } })
      )
      assert.strictEqual(error._tag, "QuoteNotSent")
    })
  )

  it.effect("reject-quote-happy-path and reject-accepted-quote", () =>
    Effect.gen(function* () {
      const { user } = freshOrg()
      const service = yield* serviceAs(user)
      const client = yield* newClient(service)
      const quote = yield* newQuote(service, client.id, [line(10_000)])
      yield* service["service.quote.send"]({ payload: { quoteId: quote.id } })
      const rejected = yield* service["service.quote.reject"]({ payload: { quoteId: quote.id, reason: "Too dear" } })
      assert.strictEqual(rejected.status, "rejected")
      assert.strictEqual(rejected.rejectionReason, "Too dear")
      const other = yield* newQuote(service, client.id, [line(10_000)])
      yield* service["service.quote.send"]({ payload: { quoteId: other.id } })
      yield* service["service.quote.accept"]({ payload: { quoteId: other.id, acceptedBy: "Ada" } })
      const error = yield* Effect.flip(service["service.quote.reject"]({ payload: { quoteId: other.id } }))
      assert.strictEqual(error._tag, "QuoteNotSent")
    })
  )

  it.effect("get-quote-other-organization: 404 QUOTE_NOT_FOUND", () =>
    Effect.gen(function* () {
      const a = freshOrg()
      const b = freshOrg()
      const service = yield* serviceAs(a.user)
      const quote = yield* newQuote(service, (yield* newClient(service)).id, [line(1)])
      const error = yield* Effect.flip(
        (yield* serviceAs(b.user))["service.quote.get"]({ payload: { quoteId: quote.id } })
      )
      assert.strictEqual(error._tag, "QuoteNotFound")
    })
  )

  it.effect("list-quotes-by-status: expired ones listed as expired, others not", () =>
    Effect.gen(function* () {
      const { user } = freshOrg()
      const service = yield* serviceAs(user)
      const client = yield* newClient(service)
      const draft = yield* newQuote(service, client.id, [line(1)])
      const sent = yield* newQuote(service, client.id, [line(2)])
      yield* service["service.quote.send"]({ payload: { quoteId: sent.id } })
      const stale = yield* newQuote(service, client.id, [line(3)], PAST)
      const expired = yield* service["service.quote.list"]({ payload: { status: "expired" } })
      assert.deepStrictEqual(
        expired.items.map((q) => [q.id, q.status]),
        [[stale.id, "expired"]]
      )
      const drafts = yield* service["service.quote.list"]({ payload: { status: "draft", clientId: client.id } })
      assert.deepStrictEqual(
        drafts.items.map((q) => q.id),
        [draft.id]
      )
      const sendStale = yield* Effect.flip(service["service.quote.send"]({ payload: { quoteId: stale.id } }))
      assert.strictEqual(sendStale._tag, "QuoteExpired")
    })
  )

  // ---------------------------------------------------------------------------------------------
  // Jobs

  it.effect(
    "schedule-job-happy-path: the seed's input answers { id, status: scheduled }, service.job.scheduled stored",
    () =>
      Effect.gen(function* () {
        const { user, organizationId } = freshOrg()
        const service = yield* serviceAs(user)
        const client = yield* newClient(service)
        const job = yield* service["service.job.schedule"]({
          payload: { clientId: client.id, date: "2025-01-20T10:00:00Z", type: "repair" },
          headers: {}
        })
        assert.match(job.id, /^job_/)
        assert.strictEqual(job.status, "scheduled")
        assert.strictEqual(job.date, "2025-01-20T10:00:00.000Z")
        const [event] = yield* eventsOf(organizationId, "service.job.scheduled")
        assert.strictEqual(event?.subject_id, job.id)
        assert.deepStrictEqual(event?.payload, {
          jobId: job.id,
          clientId: client.id,
          quoteId: null,
          type: "repair",
          scheduledAt: "2025-01-20T10:00:00.000Z",
          assigneeId: null
        })
      })
  )

  it.effect("schedule-job-in-the-past: accepted, scheduled", () =>
    Effect.gen(function* () {
      const { user } = freshOrg()
      const service = yield* serviceAs(user)
      const client = yield* newClient(service)
      const job = yield* schedule(service, client.id, { date: "2001-02-03T04:05:06Z" })
      assert.strictEqual(job.status, "scheduled")
      assert.strictEqual(job.date, "2001-02-03T04:05:06.000Z")
    })
  )

  it.effect("schedule-job-other-organization-client: 404 CLIENT_NOT_FOUND; another organization's quote 404 too", () =>
    Effect.gen(function* () {
      const a = freshOrg()
      const b = freshOrg()
      const serviceA = yield* serviceAs(a.user)
      const clientA = yield* newClient(serviceA)
      const serviceB = yield* serviceAs(b.user)
      const error = yield* Effect.flip(schedule(serviceB, clientA.id))
      assert.strictEqual(error._tag, "ClientNotFound")
      const quoteA = yield* newQuote(serviceA, clientA.id, [line(1)])
      const clientB = yield* newClient(serviceB)
      const quoteError = yield* Effect.flip(schedule(serviceB, clientB.id, { quoteId: quoteA.id }))
      assert.strictEqual(quoteError._tag, "QuoteNotFound")
      assert.strictEqual(yield* count("jobs", b.organizationId), 0)
      assert.deepStrictEqual(yield* eventsOf(b.organizationId, "service.job.scheduled"), [])
    })
  )

  it.effect("schedule-job-quote-not-accepted: 409; a quote of another client 409 QUOTE_CLIENT_MISMATCH", () =>
    Effect.gen(function* () {
      const { user } = freshOrg()
      const service = yield* serviceAs(user)
      const client = yield* newClient(service)
      const quote = yield* newQuote(service, client.id, [line(1)])
      yield* service["service.quote.send"]({ payload: { quoteId: quote.id } })
      const error = yield* Effect.flip(schedule(service, client.id, { quoteId: quote.id }))
      assert.strictEqual(error._tag, "QuoteNotAccepted")
      yield* service["service.quote.accept"]({ payload: { quoteId: quote.id, acceptedBy: "Ada" } })
      const other = yield* newClient(service, "Other")
      const mismatch = yield* Effect.flip(schedule(service, other.id, { quoteId: quote.id }))
      assert.strictEqual(mismatch._tag, "QuoteClientMismatch")
      const job = yield* schedule(service, client.id, { quoteId: quote.id })
      assert.strictEqual(job.quoteId, quote.id)
    })
  )

  it.effect("start-job-happy-path, complete-job-happy-path and start-completed-job", () =>
    Effect.gen(function* () {
      const { user, organizationId } = freshOrg()
      const service = yield* serviceAs(user)
      const client = yield* newClient(service)
      const job = yield* schedule(service, client.id, { assigneeId: "tech-1" })
      const started = yield* service["service.job.start"]({ payload: { jobId: job.id } })
      assert.strictEqual(started.status, "in_progress")
      assert.isNotNull(started.startedAt)
      const completed = yield* service["service.job.complete"]({ payload: { jobId: job.id, notes: "Fixed." } })
      assert.strictEqual(completed.status, "completed")
      assert.strictEqual(completed.notes, "Fixed.")
      const [event] = yield* eventsOf(organizationId, "service.job.completed")
      assert.deepStrictEqual(event?.payload, {
        jobId: job.id,
        clientId: client.id,
        quoteId: null,
        type: "repair",
        assigneeId: "tech-1",
        completedAt: completed.completedAt
      })
      const error = yield* Effect.flip(service["service.job.start"]({ payload: { jobId: job.id } }))
      assert.strictEqual(error._tag, "JobTransitionNotAllowed")
      if (error._tag === "JobTransitionNotAllowed") {
        assert.strictEqual(error.code, "JOB_TRANSITION_NOT_ALLOWED")
        assert.strictEqual(error.jobStatus, "completed")
        assert.strictEqual(error.action, "start")
      }
    })
  )

  it.effect("cancel-job-happy-path and complete-cancelled-job: 409, nothing stored", () =>
    Effect.gen(function* () {
      const { user, organizationId } = freshOrg()
      const service = yield* serviceAs(user)
      const client = yield* newClient(service)
      const job = yield* schedule(service, client.id)
      const cancelled = yield* service["service.job.cancel"]({ payload: { jobId: job.id, reason: "Moved away" } })
      assert.strictEqual(cancelled.status, "cancelled")
      assert.strictEqual(cancelled.cancellationReason, "Moved away")
      const error = yield* Effect.flip(service["service.job.complete"]({ payload: { jobId: job.id } }))
      assert.strictEqual(error._tag, "JobTransitionNotAllowed")
      assert.deepStrictEqual(yield* eventsOf(organizationId, "service.job.completed"), [])
    })
  )

  it.effect("cancel-completed-job: 409 JOB_TRANSITION_NOT_ALLOWED", () =>
    Effect.gen(function* () {
      const { user } = freshOrg()
      const service = yield* serviceAs(user)
      const job = yield* schedule(service, (yield* newClient(service)).id)
      yield* service["service.job.complete"]({ payload: { jobId: job.id } })
      const error = yield* Effect.flip(service["service.job.cancel"]({ payload: { jobId: job.id, reason: "x" } }))
      assert.strictEqual(error._tag, "JobTransitionNotAllowed")
    })
  )

  it.effect("reschedule-job-happy-path and reschedule-started-job", () =>
    Effect.gen(function* () {
      const { user } = freshOrg()
      const service = yield* serviceAs(user)
      const job = yield* schedule(service, (yield* newClient(service)).id)
      const moved = yield* service["service.job.reschedule"]({
        payload: { jobId: job.id, date: "2025-02-01T08:00:00Z", durationMinutes: 45 }
      })
      assert.strictEqual(moved.date, "2025-02-01T08:00:00.000Z")
      assert.strictEqual(moved.durationMinutes, 45)
      yield* service["service.job.start"]({ payload: { jobId: job.id } })
      const error = yield* Effect.flip(
        service["service.job.reschedule"]({ payload: { jobId: job.id, date: "2025-02-02T08:00:00Z" } })
      )
      assert.strictEqual(error._tag, "JobTransitionNotAllowed")
    })
  )

  it.effect("assign-job-happy-path and assign-cancelled-job", () =>
    Effect.gen(function* () {
      const { user } = freshOrg()
      const service = yield* serviceAs(user)
      const job = yield* schedule(service, (yield* newClient(service)).id)
      const assigned = yield* service["service.job.assign"]({
        payload: { jobId: job.id, assigneeId: "tech-7" as never }
      })
      assert.strictEqual(assigned.assigneeId, "tech-7")
      const unassigned = yield* service["service.job.assign"]({ payload: { jobId: job.id, assigneeId: null } })
      assert.isNull(unassigned.assigneeId)
      yield* service["service.job.cancel"]({ payload: { jobId: job.id, reason: "x" } })
      const error = yield* Effect.flip(
        service["service.job.assign"]({ payload: { jobId: job.id, assigneeId: "tech-7" as never } })
      )
      assert.strictEqual(error._tag, "JobTransitionNotAllowed")
    })
  )

  it.effect("get-job-other-organization: 404 JOB_NOT_FOUND, for reads and every command", () =>
    Effect.gen(function* () {
      const a = freshOrg()
      const b = freshOrg()
      const serviceA = yield* serviceAs(a.user)
      const job = yield* schedule(serviceA, (yield* newClient(serviceA)).id)
      const serviceB = yield* serviceAs(b.user)
      const read = yield* Effect.flip(serviceB["service.job.get"]({ payload: { jobId: job.id } }))
      assert.strictEqual(read._tag, "JobNotFound")
      const start = yield* Effect.flip(serviceB["service.job.start"]({ payload: { jobId: job.id } }))
      assert.strictEqual(start._tag, "JobNotFound")
      const invoice = yield* Effect.flip(serviceB["service.invoice.issue"]({ payload: { jobId: job.id }, headers: {} }))
      assert.strictEqual(invoice._tag, "JobNotFound")
    })
  )

  it.effect(
    "list-jobs-filters: status, client, assignee, date range; the seed's { status: scheduled, limit: 10 }",
    () =>
      Effect.gen(function* () {
        const { user } = freshOrg()
        const service = yield* serviceAs(user)
        const ada = yield* newClient(service, "Ada")
        const bob = yield* newClient(service, "Bob")
        const j1 = yield* schedule(service, ada.id, { date: "2025-01-01T09:00:00Z", assigneeId: "t1" })
        const j2 = yield* schedule(service, ada.id, { date: "2025-01-02T09:00:00Z", assigneeId: "t2" })
        const j3 = yield* schedule(service, bob.id, { date: "2025-01-03T09:00:00Z", assigneeId: "t1" })
        const j4 = yield* schedule(service, bob.id, { date: "2025-01-04T09:00:00Z" })
        yield* service["service.job.complete"]({ payload: { jobId: j2.id } })
        yield* service["service.job.cancel"]({ payload: { jobId: j4.id, reason: "x" } })
        const ids = (payload: Parameters<Service["service.job.list"]>[0]["payload"]) =>
          Effect.map(service["service.job.list"]({ payload }), (page) => page.items.map((job) => job.id))
        assert.deepStrictEqual(yield* ids({ status: "scheduled", limit: 10 }), [j1.id, j3.id])
        assert.deepStrictEqual(yield* ids({ clientId: ada.id }), [j1.id, j2.id])
        assert.deepStrictEqual(yield* ids({ assigneeId: "t1" as never }), [j1.id, j3.id])
        assert.deepStrictEqual(yield* ids({ from: "2025-01-02T00:00:00Z", to: "2025-01-04T00:00:00Z" }), [j2.id, j3.id])
        assert.deepStrictEqual(yield* ids({ status: "cancelled", clientId: bob.id }), [j4.id])
        assert.deepStrictEqual(yield* ids({}), [j1.id, j2.id, j3.id, j4.id])
      })
  )

  it.effect("list-jobs-pagination: every job once, last page without nextCursor; a foreign cursor 400", () =>
    Effect.gen(function* () {
      const { user } = freshOrg()
      const service = yield* serviceAs(user)
      const client = yield* newClient(service)
      const created: Array<string> = []
      for (let i = 0; i < 7; i++) {
        // Two jobs share each date: the id breaks the tie.
        created.push((yield* schedule(service, client.id, { date: `2025-03-0${1 + Math.floor(i / 2)}T09:00:00Z` })).id)
      }
      const seen: Array<string> = []
      let cursor: string | undefined
      do {
        const page = yield* service["service.job.list"]({
          payload: { limit: 3, ...(cursor === undefined ? {} : { cursor }) }
        })
        seen.push(...page.items.map((job) => job.id))
        cursor = page.nextCursor ?? undefined
      } while (cursor !== undefined)
      assert.deepStrictEqual([...seen].sort(), [...created].sort())
      assert.strictEqual(new Set(seen).size, 7)
      const bad = yield* Effect.flip(service["service.job.list"]({ payload: { cursor: "bm9wZQ" } }))
      assert.strictEqual(bad._tag, "InvalidCursor")
      // Forged cursors that decode but hold what the database would refuse: an impossible date, a NUL.
      const forge = (position: ReadonlyArray<string>) => Buffer.from(JSON.stringify(position)).toString("base64url")
      const impossible = yield* Effect.flip(
        service["service.job.list"]({ payload: { cursor: forge(["2025-02-31T09:00:00.000Z", "job_x"]) } })
      )
      assert.strictEqual(impossible._tag, "InvalidCursor")
      const nul = yield* Effect.flip(
        service["service.client.list"]({ payload: { cursor: forge(["a\u0000b", "client_x"]) } })
      )
      assert.strictEqual(nul._tag, "InvalidCursor")
    })
  )

  // ---------------------------------------------------------------------------------------------
  // Invoices

  it.effect("issue-invoice-from-quote: the quote's lines and totals, service.invoice.issued stored", () =>
    Effect.gen(function* () {
      const { user, organizationId } = freshOrg()
      const service = yield* serviceAs(user)
      const client = yield* newClient(service)
      const quote = yield* newQuote(service, client.id, [line(12_000, 1, 2000), line(1999, 3, 550)])
      yield* service["service.quote.send"]({ payload: { quoteId: quote.id } })
      yield* service["service.quote.accept"]({ payload: { quoteId: quote.id, acceptedBy: "Ada" } })
      const job = yield* schedule(service, client.id, { quoteId: quote.id })
      yield* service["service.job.complete"]({ payload: { jobId: job.id } })
      const invoice = yield* service["service.invoice.issue"]({ payload: { jobId: job.id }, headers: {} })
      const year = new Date().getUTCFullYear()
      assert.strictEqual(invoice.number, `INV-${year}-0001`)
      assert.deepStrictEqual(invoice.lines, quote.lines)
      assert.strictEqual(invoice.totalMinor, quote.totalMinor)
      assert.strictEqual(invoice.balanceMinor, quote.totalMinor)
      assert.strictEqual(invoice.status, "issued")
      const [event] = yield* eventsOf(organizationId, "service.invoice.issued")
      assert.deepStrictEqual(event?.payload, {
        invoiceId: invoice.id,
        number: invoice.number,
        clientId: client.id,
        jobId: job.id,
        totalMinor: 20_727,
        currency: "EUR",
        dueDate: invoice.dueDate
      })
    })
  )

  it.effect("issue-invoice-gap-free-numbers: 40 concurrent issues in one organization, 10 in another", () =>
    Effect.gen(function* () {
      const a = freshOrg()
      const b = freshOrg()
      const completedJobs = (principal: Principal, n: number) =>
        Effect.gen(function* () {
          const service = yield* serviceAs(principal)
          const client = yield* newClient(service)
          return yield* Effect.forEach(Array.from({ length: n }), () =>
            Effect.gen(function* () {
              const job = yield* schedule(service, client.id)
              yield* service["service.job.complete"]({ payload: { jobId: job.id } })
              return job.id
            })
          )
        })
      const jobsA = yield* completedJobs(a.user, 40)
      const jobsB = yield* completedJobs(b.user, 10)
      const serviceA = yield* serviceAs(a.user)
      const serviceB = yield* serviceAs(b.user)
      const issue = (service: Service, jobId: string) =>
        service["service.invoice.issue"]({
          payload: { jobId: jobId as never, currency: "EUR", lines: [line(100)] as never },
          headers: {}
        })
      const issued = yield* Effect.all(
        [...jobsA.map((jobId) => issue(serviceA, jobId)), ...jobsB.map((jobId) => issue(serviceB, jobId))],
        { concurrency: "unbounded" }
      )
      const year = new Date().getUTCFullYear()
      const numbersOf = (organizationJobs: ReadonlyArray<string>) =>
        issued
          .filter((invoice) => organizationJobs.includes(invoice.jobId))
          .map((invoice) => invoice.number)
          .sort()
      const expected = (n: number) =>
        Array.from({ length: n }, (_, i) => `INV-${year}-${String(i + 1).padStart(4, "0")}`)
      assert.deepStrictEqual(numbersOf(jobsA), expected(40))
      assert.deepStrictEqual(numbersOf(jobsB), expected(10))
    })
  )

  it.effect("issue-invoice-job-not-completed: 409, no number used up", () =>
    Effect.gen(function* () {
      const { user } = freshOrg()
      const service = yield* serviceAs(user)
      const client = yield* newClient(service)
      const job = yield* schedule(service, client.id)
      const error = yield* Effect.flip(
        service["service.invoice.issue"]({
          payload: { jobId: job.id, currency: "EUR", lines: [line(100)] as never },
          headers: {}
        })
      )
      assert.strictEqual(error._tag, "JobNotCompleted")
      // No quote and no lines: nothing to bill from.
      yield* service["service.job.complete"]({ payload: { jobId: job.id } })
      const terms = yield* Effect.flip(service["service.invoice.issue"]({ payload: { jobId: job.id }, headers: {} }))
      assert.strictEqual(terms._tag, "InvoiceTermsMissing")
      const invoice = yield* service["service.invoice.issue"]({
        payload: { jobId: job.id, currency: "EUR", lines: [line(100)] as never },
        headers: {}
      })
      assert.match(invoice.number, /-0001$/)
    })
  )

  it.effect(
    "issue-invoice-twice: 409 JOB_ALREADY_INVOICED; after a void the job is invoiced again with the next number",
    () =>
      Effect.gen(function* () {
        const { user } = freshOrg()
        const service = yield* serviceAs(user)
        const { job, invoice } = yield* invoiced(service, [line(100)])
        const issueAgain = service["service.invoice.issue"]({
          payload: { jobId: job.id, currency: "EUR", lines: [line(100)] as never },
          headers: {}
        })
        const error = yield* Effect.flip(issueAgain)
        assert.strictEqual(error._tag, "JobAlreadyInvoiced")
        yield* service["service.invoice.void"]({ payload: { invoiceId: invoice.id, reason: "Wrong lines" } })
        const second = yield* issueAgain
        assert.match(second.number, /-0002$/)
      })
  )

  it.effect("send-invoice-happy-path and send-void-invoice", () =>
    Effect.gen(function* () {
      const { user } = freshOrg()
      const service = yield* serviceAs(user)
      const { invoice } = yield* invoiced(service, [line(100)])
      const sent = yield* service["service.invoice.send"]({ payload: { invoiceId: invoice.id } })
      assert.strictEqual(sent.status, "sent")
      assert.isNotNull(sent.sentAt)
      const { invoice: other } = yield* invoiced(service, [line(100)])
      yield* service["service.invoice.void"]({ payload: { invoiceId: other.id, reason: "x" } })
      const error = yield* Effect.flip(service["service.invoice.send"]({ payload: { invoiceId: other.id } }))
      assert.strictEqual(error._tag, "InvoiceTransitionNotAllowed")
    })
  )

  it.effect("void-invoice-happy-path: void, balance 0, the number stays used", () =>
    Effect.gen(function* () {
      const { user } = freshOrg()
      const service = yield* serviceAs(user)
      const { invoice } = yield* invoiced(service, [line(100)])
      const voided = yield* service["service.invoice.void"]({
        payload: { invoiceId: invoice.id, reason: "Wrong client" }
      })
      assert.strictEqual(voided.status, "void")
      assert.strictEqual(voided.balanceMinor, 0)
      assert.strictEqual(voided.voidReason, "Wrong client")
      const { invoice: next } = yield* invoiced(service, [line(100)])
      assert.match(next.number, /-0002$/)
    })
  )

  it.effect("void-invoice-with-payments: 409 INVOICE_HAS_PAYMENTS", () =>
    Effect.gen(function* () {
      const { user } = freshOrg()
      const service = yield* serviceAs(user)
      const { invoice } = yield* invoiced(service, [line(10_000)])
      yield* service["service.payment.record"]({
        payload: { invoiceId: invoice.id, amountMinor: 100, method: "cash" },
        headers: {}
      })
      const error = yield* Effect.flip(
        service["service.invoice.void"]({ payload: { invoiceId: invoice.id, reason: "x" } })
      )
      assert.strictEqual(error._tag, "InvoiceHasPayments")
    })
  )

  it.effect("get-invoice-overdue: past its due date an issued invoice reads overdue", () =>
    Effect.gen(function* () {
      const { user } = freshOrg()
      const service = yield* serviceAs(user)
      const { invoice } = yield* invoiced(service, [line(100)], PAST)
      const read = yield* service["service.invoice.get"]({ payload: { invoiceId: invoice.id } })
      assert.strictEqual(read.status, "overdue")
      // Still sendable: an overdue invoice was never sent.
      const sent = yield* service["service.invoice.send"]({ payload: { invoiceId: invoice.id } })
      assert.strictEqual(sent.status, "overdue")
      assert.isNotNull(sent.sentAt)
    })
  )

  it.effect("get-invoice-other-organization: 404 INVOICE_NOT_FOUND; paying it 404 too", () =>
    Effect.gen(function* () {
      const a = freshOrg()
      const b = freshOrg()
      const { invoice } = yield* invoiced(yield* serviceAs(a.user), [line(100)])
      const serviceB = yield* serviceAs(b.user)
      const error = yield* Effect.flip(serviceB["service.invoice.get"]({ payload: { invoiceId: invoice.id } }))
      assert.strictEqual(error._tag, "InvoiceNotFound")
      const pay = yield* Effect.flip(
        serviceB["service.payment.record"]({
          payload: { invoiceId: invoice.id, amountMinor: 1, method: "cash" },
          headers: {}
        })
      )
      assert.strictEqual(pay._tag, "InvoiceNotFound")
    })
  )

  it.effect("list-invoices-overdue: only unpaid invoices past due, as overdue", () =>
    Effect.gen(function* () {
      const { user } = freshOrg()
      const service = yield* serviceAs(user)
      const { invoice: late } = yield* invoiced(service, [line(100)], PAST)
      const { invoice: onTime } = yield* invoiced(service, [line(100)])
      const { invoice: paidLate } = yield* invoiced(service, [line(100)], PAST)
      yield* service["service.payment.record"]({
        payload: { invoiceId: paidLate.id, amountMinor: 120, method: "card" },
        headers: {}
      })
      const overdue = yield* service["service.invoice.list"]({ payload: { status: "overdue" } })
      assert.deepStrictEqual(
        overdue.items.map((i) => [i.id, i.status]),
        [[late.id, "overdue"]]
      )
      const issued = yield* service["service.invoice.list"]({ payload: { status: "issued" } })
      assert.deepStrictEqual(
        issued.items.map((i) => i.id),
        [onTime.id]
      )
      const paid = yield* service["service.invoice.list"]({ payload: { status: "paid" } })
      assert.deepStrictEqual(
        paid.items.map((i) => i.id),
        [paidLate.id]
      )
    })
  )

  it.effect("list-invoices-huge-amounts: amounts at the top of the safe range answer exactly", () =>
    Effect.gen(function* () {
      const { user } = freshOrg()
      const service = yield* serviceAs(user)
      const top = Number.MAX_SAFE_INTEGER
      for (let i = 0; i < 3; i++) yield* invoiced(service, [line(top - 1, 1, 0), line(1, 1, 0)])
      const page = yield* service["service.invoice.list"]({ payload: {} })
      assert.strictEqual(page.items.length, 3)
      for (const invoice of page.items) {
        assert.strictEqual(invoice.totalMinor, top)
        assert.strictEqual(invoice.balanceMinor, top)
      }
      const { invoice } = yield* invoiced(service, [line(top, 1, 0)])
      const paid = yield* service["service.payment.record"]({
        payload: { invoiceId: invoice.id, amountMinor: top, method: "bank_transfer" },
        headers: {}
      })
      assert.strictEqual(paid.invoice.paidMinor, top)
      assert.strictEqual(paid.invoice.status, "paid")
    })
  )

  // ---------------------------------------------------------------------------------------------
  // Payments

  it.effect(
    "record-payment-partial-then-paid: balance, then paid; payment.received ×2 and invoice.paid ×1 stored",
    () =>
      Effect.gen(function* () {
        const { user, organizationId } = freshOrg()
        const service = yield* serviceAs(user)
        const { client, job, invoice } = yield* invoiced(service, [line(10_000)]) // 12 000 with tax
        const first = yield* service["service.payment.record"]({
          payload: { invoiceId: invoice.id, amountMinor: 5000, method: "card", reference: "R1" },
          headers: {}
        })
        assert.strictEqual(first.invoice.paidMinor, 5000)
        assert.strictEqual(first.invoice.balanceMinor, 7000)
        assert.strictEqual(first.invoice.status, "issued")
        assert.strictEqual(first.payment.kind, "payment")
        const second = yield* service["service.payment.record"]({
          payload: { invoiceId: invoice.id, amountMinor: 7000, method: "check", receivedAt: "2025-02-01T12:00:00Z" },
          headers: {}
        })
        assert.strictEqual(second.invoice.status, "paid")
        assert.strictEqual(second.invoice.balanceMinor, 0)
        assert.strictEqual(second.payment.receivedAt, "2025-02-01T12:00:00.000Z")
        const received = yield* eventsOf(organizationId, "service.payment.received")
        assert.deepStrictEqual(
          received.map((e) => e.payload),
          [
            {
              paymentId: first.payment.id,
              invoiceId: invoice.id,
              clientId: client.id,
              amountMinor: 5000,
              currency: "EUR",
              method: "card",
              reference: "R1",
              receivedAt: first.payment.receivedAt
            },
            {
              paymentId: second.payment.id,
              invoiceId: invoice.id,
              clientId: client.id,
              amountMinor: 7000,
              currency: "EUR",
              method: "check",
              reference: null,
              receivedAt: "2025-02-01T12:00:00.000Z"
            }
          ]
        )
        const paid = yield* eventsOf(organizationId, "service.invoice.paid")
        assert.deepStrictEqual(
          paid.map((e) => e.payload),
          [
            {
              invoiceId: invoice.id,
              number: invoice.number,
              clientId: client.id,
              jobId: job.id,
              totalMinor: 12_000,
              currency: "EUR",
              paidAt: second.invoice.paidAt
            }
          ]
        )
      })
  )

  it.effect("record-payment-overpayment: 422 PAYMENT_EXCEEDS_BALANCE, nothing written; a paid invoice 409", () =>
    Effect.gen(function* () {
      const { user, organizationId } = freshOrg()
      const service = yield* serviceAs(user)
      const { invoice } = yield* invoiced(service, [line(10_000)])
      const error = yield* Effect.flip(
        service["service.payment.record"]({
          payload: { invoiceId: invoice.id, amountMinor: 12_001, method: "cash" },
          headers: {}
        })
      )
      assert.strictEqual(error._tag, "PaymentExceedsBalance")
      assert.strictEqual(yield* count("payments", organizationId), 0)
      assert.deepStrictEqual(yield* eventsOf(organizationId, "service.payment.received"), [])
      yield* service["service.payment.record"]({
        payload: { invoiceId: invoice.id, amountMinor: 12_000, method: "cash" },
        headers: {}
      })
      const paidAgain = yield* Effect.flip(
        service["service.payment.record"]({
          payload: { invoiceId: invoice.id, amountMinor: 1, method: "cash" },
          headers: {}
        })
      )
      assert.strictEqual(paidAgain._tag, "InvoiceTransitionNotAllowed")
    })
  )

  it.effect("record-payment-void-invoice: 409 INVOICE_TRANSITION_NOT_ALLOWED", () =>
    Effect.gen(function* () {
      const { user } = freshOrg()
      const service = yield* serviceAs(user)
      const { invoice } = yield* invoiced(service, [line(100)])
      yield* service["service.invoice.void"]({ payload: { invoiceId: invoice.id, reason: "x" } })
      const error = yield* Effect.flip(
        service["service.payment.record"]({
          payload: { invoiceId: invoice.id, amountMinor: 1, method: "cash" },
          headers: {}
        })
      )
      assert.strictEqual(error._tag, "InvoiceTransitionNotAllowed")
    })
  )

  it.effect("refund-payment-happy-path: a negative adjustment with the reason; the invoice owed again", () =>
    Effect.gen(function* () {
      const { user } = freshOrg()
      const service = yield* serviceAs(user)
      const { invoice } = yield* invoiced(service, [line(10_000)])
      yield* service["service.invoice.send"]({ payload: { invoiceId: invoice.id } })
      const paid = yield* service["service.payment.record"]({
        payload: { invoiceId: invoice.id, amountMinor: 12_000, method: "card" },
        headers: {}
      })
      assert.strictEqual(paid.invoice.status, "paid")
      const refund = yield* service["service.payment.refund"]({
        payload: { paymentId: paid.payment.id, amountMinor: 2000, reason: "Goodwill" }
      })
      assert.strictEqual(refund.payment.kind, "refund")
      assert.strictEqual(refund.payment.amountMinor, -2000)
      assert.strictEqual(refund.payment.reason, "Goodwill")
      assert.strictEqual(refund.payment.refundOf, paid.payment.id)
      assert.strictEqual(refund.invoice.status, "sent")
      assert.strictEqual(refund.invoice.paidMinor, 10_000)
      assert.strictEqual(refund.invoice.balanceMinor, 2000)
      assert.isNull(refund.invoice.paidAt)
    })
  )

  it.effect("refund-more-than-paid: 422 REFUND_EXCEEDS_PAYMENT; another organization's payment 404", () =>
    Effect.gen(function* () {
      const { user } = freshOrg()
      const other = freshOrg()
      const service = yield* serviceAs(user)
      const { invoice } = yield* invoiced(service, [line(10_000)])
      const paid = yield* service["service.payment.record"]({
        payload: { invoiceId: invoice.id, amountMinor: 5000, method: "card" },
        headers: {}
      })
      yield* service["service.payment.refund"]({
        payload: { paymentId: paid.payment.id, amountMinor: 3000, reason: "a" }
      })
      const error = yield* Effect.flip(
        service["service.payment.refund"]({ payload: { paymentId: paid.payment.id, amountMinor: 2001, reason: "b" } })
      )
      assert.strictEqual(error._tag, "RefundExceedsPayment")
      const foreign = yield* Effect.flip(
        (yield* serviceAs(other.user))["service.payment.refund"]({
          payload: { paymentId: paid.payment.id, amountMinor: 1, reason: "c" }
        })
      )
      assert.strictEqual(foreign._tag, "PaymentNotFound")
    })
  )
})
