/**
 * Every CRM operation through real HTTP and the derived client, on real Postgres with the
 * dispatcher's outbox: one test per acceptance scenario (named by its key), the events each call
 * stores, and the auth, role and tenancy rules.
 */
import { assert, layer } from "@effect/vitest"
import type { Principal } from "@tessera/contract-kit/Contract"
import type { Pipeline } from "@tessera/contracts/crm/Pipelines"
import { DealId, PipelineId, StageId } from "@tessera/contracts/crm/Shared"
import { Effect, Schema } from "effect"
import { HttpClient, HttpClientRequest } from "effect/http"
import { SqlClient } from "effect/sql"
import { auth, CrmTestLayer, clientAs, storedEvents } from "./support/CrmTestLayer.ts"

let orgCounter = 0
/** A fresh organization per test, so tests in this file never see each other's rows. */
const freshOrg = () => {
  orgCounter++
  const organizationId = `org_${orgCounter}`
  return {
    organizationId,
    admin: { userId: `admin_${orgCounter}`, organizationId, roles: ["admin"] } satisfies Principal,
    user: { userId: `user_${orgCounter}`, organizationId, roles: [] } satisfies Principal
  }
}

const fiveStages = [
  { name: "Lead", probability: 10 },
  { name: "Qualified", probability: 25 },
  { name: "Proposal", probability: 50 },
  { name: "Won", probability: 100, isWon: true },
  { name: "Lost", probability: 0, isLost: true }
] as const

const createPipeline = (admin: Principal, name = "Sales") =>
  Effect.flatMap(clientAs(admin), (client) =>
    client.crm["crm.pipeline.create"]({ payload: { name, stages: [...fiveStages] } })
  )

const stageNamed = (pipeline: Pipeline, name: string) => {
  const stage = pipeline.stages.find((s) => s.name === name)
  if (stage === undefined) throw new Error(`no stage ${name}`)
  return stage.id
}

const eur = (amountMinor: number) => ({ amountMinor, currency: "EUR" })

type CrmClient = Effect.Success<ReturnType<typeof clientAs>>
type CreateDealPayload = Parameters<CrmClient["crm"]["crm.deal.create"]>[0]["payload"]

/** `crm.deal.create` without an idempotency key. */
const newDeal = (client: CrmClient, payload: CreateDealPayload) =>
  client.crm["crm.deal.create"]({ payload, headers: {} })

/** A raw POST, for what the derived client would refuse to send (it validates before sending). */
const rawPost = (path: string, body: unknown, principal?: Principal) =>
  Effect.gen(function* () {
    const http = yield* HttpClient.HttpClient
    const request = HttpClientRequest.post(path).pipe(HttpClientRequest.bodyJsonUnsafe(body))
    const response = yield* http.execute(
      principal === undefined ? request : HttpClientRequest.bearerToken(request, yield* auth.mint(principal))
    )
    const json = yield* response.json
    return { status: response.status, body: JSON.stringify(json) }
  })

const count = (table: string, organizationId: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<{
      n: number
    }>`SELECT count(*)::int AS n FROM ${sql(`crm.${table}`)} WHERE organization_id = ${organizationId}`.pipe(
      Effect.map((rows) => rows[0]?.n ?? -1)
    )
  )

layer(CrmTestLayer, { excludeTestServices: true })("crm over HTTP", (it) => {
  it.effect("create-pipeline-happy-path: stages in order, pipeline.created stored", () =>
    Effect.gen(function* () {
      const { admin, organizationId } = freshOrg()
      const pipeline = yield* createPipeline(admin)
      assert.match(pipeline.id, /^pipe_[0-9a-f-]{36}$/)
      assert.deepStrictEqual(
        pipeline.stages.map((s) => [s.name, s.position, s.probability, s.isWon, s.isLost]),
        [
          ["Lead", 0, 10, false, false],
          ["Qualified", 1, 25, false, false],
          ["Proposal", 2, 50, false, false],
          ["Won", 3, 100, true, false],
          ["Lost", 4, 0, false, true]
        ]
      )
      const events = yield* storedEvents(organizationId)
      assert.strictEqual(events.length, 1)
      const [event] = events
      assert.strictEqual(event?.event_type, "pipeline.created")
      assert.strictEqual(event?.subject_type, "pipeline")
      assert.strictEqual(event?.subject_id, pipeline.id)
      assert.strictEqual(event?.actor_id, admin.userId)
      assert.deepStrictEqual(event?.payload, {
        pipelineId: pipeline.id,
        name: "Sales",
        stages: pipeline.stages.map((s) => ({
          stageId: s.id,
          name: s.name,
          position: s.position,
          probability: s.probability,
          isWon: s.isWon,
          isLost: s.isLost
        }))
      })
    })
  )

  it.effect("create-pipeline-requires-admin: 403 for a user without the admin role, nothing written", () =>
    Effect.gen(function* () {
      const { user, organizationId } = freshOrg()
      const error = yield* Effect.flip(createPipeline(user))
      assert.strictEqual(error._tag, "Forbidden")
      assert.strictEqual(yield* count("pipelines", organizationId), 0)
      assert.deepStrictEqual(yield* storedEvents(organizationId), [])
    })
  )

  it.effect("create-pipeline rejects duplicate names (409) and inconsistent stages (400)", () =>
    Effect.gen(function* () {
      const { admin } = freshOrg()
      yield* createPipeline(admin)
      const taken = yield* Effect.flip(createPipeline(admin))
      assert.strictEqual(taken._tag, "PipelineNameTaken")
      const twoWon = yield* rawPost(
        "/crm/pipeline/create",
        {
          name: "Odd",
          stages: [
            { name: "A", probability: 10 },
            { name: "B", probability: 100, isWon: true },
            { name: "C", probability: 100, isWon: true }
          ]
        },
        admin
      )
      assert.strictEqual(twoWon.status, 400)
      assert.match(twoWon.body, /at most one stage may be the won stage/)
    })
  )

  it.effect("list-pipelines-own-organization", () =>
    Effect.gen(function* () {
      const a = freshOrg()
      const b = freshOrg()
      const mine = yield* createPipeline(a.admin, "Mine")
      yield* createPipeline(b.admin, "Theirs")
      const listed = yield* Effect.flatMap(clientAs(a.user), (client) =>
        client.crm["crm.pipeline.list"]({ payload: {} })
      )
      assert.deepStrictEqual(listed.items, [mine])
    })
  )

  it.effect("create-deal-happy-path: first open stage, owned by the caller, deal.created stored", () =>
    Effect.gen(function* () {
      const { admin, user, organizationId } = freshOrg()
      const pipeline = yield* createPipeline(admin)
      const client = yield* clientAs(user)
      const deal = yield* newDeal(client, {
        name: "Acme renewal",
        value: eur(1_250_000),
        pipelineId: pipeline.id,
        expectedCloseDate: "2025-03-31"
      })
      assert.strictEqual(deal.stageId, stageNamed(pipeline, "Lead"))
      assert.strictEqual(deal.status, "open")
      assert.strictEqual(deal.ownerId, user.userId)
      assert.deepStrictEqual(deal.value, eur(1_250_000))
      assert.strictEqual(deal.expectedCloseDate, "2025-03-31")
      assert.strictEqual(deal.position, 0)
      const second = yield* newDeal(client, { name: "Second", value: eur(1), pipelineId: pipeline.id })
      assert.strictEqual(second.position, 1)
      const events = yield* storedEvents(organizationId)
      const created = events.filter((e) => e.event_type === "deal.created")
      assert.deepStrictEqual(created[0]?.payload, {
        dealId: deal.id,
        name: "Acme renewal",
        value: eur(1_250_000),
        pipelineId: pipeline.id,
        stageId: deal.stageId,
        ownerId: user.userId,
        contactId: null,
        companyId: null
      })
      assert.strictEqual(created[0]?.subject_id, deal.id)
    })
  )

  it.effect("create-deal-stage-of-other-pipeline: 409 STAGE_NOT_IN_PIPELINE, nothing written", () =>
    Effect.gen(function* () {
      const { admin, user, organizationId } = freshOrg()
      const a = yield* createPipeline(admin, "A")
      const b = yield* createPipeline(admin, "B")
      const client = yield* clientAs(user)
      const error = yield* Effect.flip(
        newDeal(client, { name: "X", value: eur(100), pipelineId: a.id, stageId: StageId.make(stageNamed(b, "Lead")) })
      )
      assert.strictEqual(error._tag, "StageNotInPipeline")
      const terminal = yield* Effect.flip(
        newDeal(client, { name: "X", value: eur(100), pipelineId: a.id, stageId: StageId.make(stageNamed(a, "Won")) })
      )
      assert.strictEqual(terminal._tag, "TerminalStage")
      const missing = yield* Effect.flip(
        newDeal(client, { name: "X", value: eur(100), pipelineId: PipelineId.make("pipe_nope") })
      )
      assert.strictEqual(missing._tag, "PipelineNotFound")
      assert.strictEqual(yield* count("deals", organizationId), 0)
      assert.deepStrictEqual(
        (yield* storedEvents(organizationId)).map((e) => e.event_type),
        ["pipeline.created", "pipeline.created"]
      )
    })
  )

  it.effect("money never passes through a float: a fractional amount is a 400", () =>
    Effect.gen(function* () {
      const { admin, organizationId } = freshOrg()
      const pipeline = yield* createPipeline(admin)
      const http = yield* HttpClient.HttpClient
      const token = yield* auth.mint(admin)
      const response = yield* http.execute(
        HttpClientRequest.post("/crm/deal/create").pipe(
          HttpClientRequest.bodyJsonUnsafe({
            name: "Float",
            value: { amountMinor: 12.5, currency: "EUR" },
            pipelineId: pipeline.id
          }),
          HttpClientRequest.bearerToken(token)
        )
      )
      assert.strictEqual(response.status, 400)
      const body = yield* response.json
      assert.match(JSON.stringify(body), /amountMinor/)
      assert.strictEqual(yield* count("deals", organizationId), 0)
    })
  )

  it.effect("get-deal-other-organization: 404 DEAL_NOT_FOUND, as for a missing deal", () =>
    Effect.gen(function* () {
      const a = freshOrg()
      const b = freshOrg()
      const pipeline = yield* createPipeline(a.admin)
      const deal = yield* Effect.flatMap(clientAs(a.user), (client) =>
        newDeal(client, { name: "Secret", value: eur(5), pipelineId: pipeline.id })
      )
      const own = yield* Effect.flatMap(clientAs(a.user), (client) =>
        client.crm["crm.deal.get"]({ payload: { dealId: deal.id } })
      )
      assert.deepStrictEqual(own, deal)
      const other = yield* clientAs(b.admin)
      const foreign = yield* Effect.flip(other.crm["crm.deal.get"]({ payload: { dealId: deal.id } }))
      const missing = yield* Effect.flip(
        other.crm["crm.deal.get"]({ payload: { dealId: DealId.make("deal_missing") } })
      )
      assert.strictEqual(foreign._tag, "DealNotFound")
      assert.strictEqual(missing._tag, "DealNotFound")
      // Writes are scoped the same way.
      const lose = yield* Effect.flip(
        other.crm["crm.deal.lose"]({ payload: { dealId: deal.id, reason: "competitor" } })
      )
      assert.strictEqual(lose._tag, "DealNotFound")
    })
  )

  it.effect(
    "move-deal-happy-path: deal.moved with from and to stage; moving to the current stage changes nothing",
    () =>
      Effect.gen(function* () {
        const { admin, user, organizationId } = freshOrg()
        const pipeline = yield* createPipeline(admin)
        const client = yield* clientAs(user)
        const deal = yield* newDeal(client, { name: "D", value: eur(10), pipelineId: pipeline.id })
        const proposal = StageId.make(stageNamed(pipeline, "Proposal"))
        const moved = yield* client.crm["crm.deal.move"]({ payload: { dealId: deal.id, stageId: proposal } })
        assert.strictEqual(moved.stageId, proposal)
        assert.strictEqual(moved.position, 0)
        const again = yield* client.crm["crm.deal.move"]({ payload: { dealId: deal.id, stageId: proposal } })
        assert.deepStrictEqual(again, moved)
        const movedEvents = (yield* storedEvents(organizationId)).filter((e) => e.event_type === "deal.moved")
        assert.deepStrictEqual(
          movedEvents.map((e) => e.payload),
          [
            {
              dealId: deal.id,
              pipelineId: pipeline.id,
              fromStageId: deal.stageId,
              toStageId: proposal,
              ownerId: user.userId
            }
          ]
        )
        const other = yield* createPipeline(admin, "Other")
        const foreignStage = yield* Effect.flip(
          client.crm["crm.deal.move"]({
            payload: { dealId: deal.id, stageId: StageId.make(stageNamed(other, "Lead")) }
          })
        )
        assert.strictEqual(foreignStage._tag, "StageNotInPipeline")
        const terminal = yield* Effect.flip(
          client.crm["crm.deal.move"]({
            payload: { dealId: deal.id, stageId: StageId.make(stageNamed(pipeline, "Won")) }
          })
        )
        assert.strictEqual(terminal._tag, "TerminalStage")
      })
  )

  it.effect("move-closed-deal: 409 DEAL_CLOSED", () =>
    Effect.gen(function* () {
      const { admin, user } = freshOrg()
      const pipeline = yield* createPipeline(admin)
      const client = yield* clientAs(user)
      const deal = yield* newDeal(client, { name: "D", value: eur(10), pipelineId: pipeline.id })
      yield* client.crm["crm.deal.win"]({ payload: { dealId: deal.id } })
      const error = yield* Effect.flip(
        client.crm["crm.deal.move"]({
          payload: { dealId: deal.id, stageId: StageId.make(stageNamed(pipeline, "Proposal")) }
        })
      )
      assert.strictEqual(error._tag, "DealClosed")
      const again = yield* Effect.flip(client.crm["crm.deal.win"]({ payload: { dealId: deal.id } }))
      assert.strictEqual(again._tag, "DealClosed")
    })
  )

  it.effect("win-deal-happy-path: won, closedAt set, in the won stage, deal.won v2 stored", () =>
    Effect.gen(function* () {
      const { admin, user, organizationId } = freshOrg()
      const pipeline = yield* createPipeline(admin)
      const client = yield* clientAs(user)
      const deal = yield* newDeal(client, { name: "D", value: eur(990), pipelineId: pipeline.id })
      const won = yield* client.crm["crm.deal.win"]({ payload: { dealId: deal.id, source: "referral" } })
      assert.strictEqual(won.status, "won")
      assert.strictEqual(won.wonSource, "referral")
      assert.isNotNull(won.closedAt)
      assert.strictEqual(won.stageId, stageNamed(pipeline, "Won"))
      const [event] = (yield* storedEvents(organizationId)).filter((e) => e.event_type === "deal.won")
      assert.strictEqual(event?.event_version, 2)
      assert.deepStrictEqual(event?.payload, {
        dealId: deal.id,
        name: "D",
        pipelineId: pipeline.id,
        stageId: won.stageId,
        value: eur(990),
        ownerId: user.userId,
        wonSource: "referral",
        closedAt: won.closedAt,
        contactId: null,
        contactName: null,
        companyId: null,
        companyName: null
      })
    })
  )

  it.effect("lose-deal-happy-path: the seed input { dealId, reason, note } answers status lost and closedAt", () =>
    Effect.gen(function* () {
      const { admin, user, organizationId } = freshOrg()
      const pipeline = yield* createPipeline(admin)
      const client = yield* clientAs(user)
      const deal = yield* newDeal(client, { name: "D", value: eur(42), pipelineId: pipeline.id })
      const lost = yield* client.crm["crm.deal.lose"]({
        payload: { dealId: deal.id, reason: "competitor", note: "Went with cheaper option" }
      })
      assert.strictEqual(lost.id, deal.id)
      assert.strictEqual(lost.status, "lost")
      assert.isNotNull(lost.closedAt)
      assert.strictEqual(lost.lostReason, "competitor")
      assert.strictEqual(lost.lostNote, "Went with cheaper option")
      assert.strictEqual(lost.stageId, stageNamed(pipeline, "Lost"))
      const [event] = (yield* storedEvents(organizationId)).filter((e) => e.event_type === "deal.lost")
      assert.deepStrictEqual(event?.payload, {
        dealId: deal.id,
        pipelineId: pipeline.id,
        stageId: lost.stageId,
        value: eur(42),
        ownerId: user.userId,
        reason: "competitor",
        note: "Went with cheaper option",
        closedAt: lost.closedAt
      })
      const badReason = yield* rawPost("/crm/deal/lose", { dealId: deal.id, reason: "bored" }, user)
      assert.strictEqual(badReason.status, 400)
      assert.match(badReason.body, /INVALID_INPUT/)
      assert.match(badReason.body, /reason/)
    })
  )

  it.effect("lose-closed-deal: 409 DEAL_CLOSED, no second event", () =>
    Effect.gen(function* () {
      const { admin, user, organizationId } = freshOrg()
      const pipeline = yield* createPipeline(admin)
      const client = yield* clientAs(user)
      const deal = yield* newDeal(client, { name: "D", value: eur(1), pipelineId: pipeline.id })
      yield* client.crm["crm.deal.lose"]({ payload: { dealId: deal.id, reason: "price" } })
      const error = yield* Effect.flip(client.crm["crm.deal.lose"]({ payload: { dealId: deal.id, reason: "price" } }))
      assert.strictEqual(error._tag, "DealClosed")
      const lostEvents = (yield* storedEvents(organizationId)).filter((e) => e.event_type === "deal.lost")
      assert.strictEqual(lostEvents.length, 1)
    })
  )

  it.effect("concurrent closes of one deal: exactly one succeeds", () =>
    Effect.gen(function* () {
      const { admin, user, organizationId } = freshOrg()
      const pipeline = yield* createPipeline(admin)
      const client = yield* clientAs(user)
      const deal = yield* newDeal(client, { name: "D", value: eur(1), pipelineId: pipeline.id })
      const results = yield* Effect.all(
        [
          Effect.result(client.crm["crm.deal.win"]({ payload: { dealId: deal.id } })),
          Effect.result(client.crm["crm.deal.lose"]({ payload: { dealId: deal.id, reason: "timing" } })),
          Effect.result(client.crm["crm.deal.win"]({ payload: { dealId: deal.id } }))
        ],
        { concurrency: "unbounded" }
      )
      assert.strictEqual(results.filter((r) => r._tag === "Success").length, 1)
      const closing = (yield* storedEvents(organizationId)).filter(
        (e) => e.event_type === "deal.won" || e.event_type === "deal.lost"
      )
      assert.strictEqual(closing.length, 1)
    })
  )

  it.effect("list-deals-filters-and-totals: filters, then totals over every match per currency", () =>
    Effect.gen(function* () {
      const { admin, user } = freshOrg()
      const pipeline = yield* createPipeline(admin)
      const other = yield* createPipeline(admin, "Other")
      const client = yield* clientAs(user)
      const create = (name: string, amountMinor: number, currency: string, pipelineId = pipeline.id) =>
        newDeal(client, { name, value: { amountMinor, currency }, pipelineId })
      yield* create("Alpha renewal", 100_000, "EUR")
      yield* create("Beta expansion", 250_000, "EUR")
      yield* create("Gamma renewal", 9_007_199_254_740, "USD")
      const won = yield* create("Delta", 1, "EUR")
      yield* client.crm["crm.deal.win"]({ payload: { dealId: won.id } })
      yield* create("Elsewhere", 7, "EUR", other.id)

      const open = yield* client.crm["crm.deal.list"]({ payload: { pipelineId: pipeline.id, status: "open" } })
      assert.deepStrictEqual(open.items.map((d) => d.name).sort(), ["Alpha renewal", "Beta expansion", "Gamma renewal"])
      assert.deepStrictEqual(open.totals, {
        count: 3,
        byCurrency: [
          { currency: "EUR", count: 2, amountMinor: 350_000n },
          { currency: "USD", count: 1, amountMinor: 9_007_199_254_740n }
        ]
      })
      const renewals = yield* client.crm["crm.deal.list"]({ payload: { search: "RENEWAL" } })
      assert.deepStrictEqual(renewals.items.map((d) => d.name).sort(), ["Alpha renewal", "Gamma renewal"])
      const literal = yield* client.crm["crm.deal.list"]({ payload: { search: "%" } })
      assert.deepStrictEqual(literal.items, [])
      const byOwner = yield* client.crm["crm.deal.list"]({ payload: { ownerId: admin.userId as never } })
      assert.strictEqual(byOwner.totals.count, 0)
      const oversized = yield* rawPost("/crm/deal/list", { limit: 101 }, user)
      assert.strictEqual(oversized.status, 400)
      assert.match(oversized.body, /limit/)
    })
  )

  it.effect(
    "list-deals-filters-and-totals: two legal deals whose sum passes 2^53 still list, with an exact total",
    () =>
      Effect.gen(function* () {
        const { admin, user } = freshOrg()
        const pipeline = yield* createPipeline(admin)
        const client = yield* clientAs(user)
        yield* newDeal(client, {
          name: "Huge",
          value: { amountMinor: Number.MAX_SAFE_INTEGER, currency: "JPY" },
          pipelineId: pipeline.id
        })
        yield* newDeal(client, { name: "One", value: { amountMinor: 1, currency: "JPY" }, pipelineId: pipeline.id })
        const listed = yield* client.crm["crm.deal.list"]({ payload: {} })
        assert.deepStrictEqual(listed.totals.byCurrency, [
          { currency: "JPY", count: 2, amountMinor: 9_007_199_254_740_992n }
        ])
        // On the wire: a decimal string, exact.
        const raw = yield* rawPost("/crm/deal/list", {}, user)
        assert.strictEqual(raw.status, 200)
        assert.include(raw.body, '"amountMinor":"9007199254740992"')
      })
  )

  it.effect("a forged list cursor is 400 INVALID_CURSOR, never a database error", () =>
    Effect.gen(function* () {
      const { user } = freshOrg()
      for (const [path, cursor] of [
        ["/crm/deal/list", Buffer.from(JSON.stringify(["not-a-time", "x"])).toString("base64")],
        ["/crm/contact/list", Buffer.from(JSON.stringify(["2026-02-30T25:61:00Z", "x"])).toString("base64url")],
        ["/crm/task/list", Buffer.from(JSON.stringify(["2025-01-01T00:00:00.000Z", "a\u0000"])).toString("base64url")],
        ["/crm/company/list", Buffer.from(JSON.stringify(["acme\u0000", "x"])).toString("base64url")]
      ] as const) {
        const answer = yield* rawPost(path, { cursor }, user)
        assert.strictEqual(answer.status, 400, path)
        assert.include(answer.body, "INVALID_CURSOR", path)
      }
    })
  )

  it.effect("list-deals-pagination: every deal exactly once, last page without a cursor", () =>
    Effect.gen(function* () {
      const { admin, user } = freshOrg()
      const pipeline = yield* createPipeline(admin)
      const client = yield* clientAs(user)
      const ids = new Set<string>()
      for (let i = 0; i < 7; i++) {
        const deal = yield* newDeal(client, { name: `Deal ${i}`, value: eur(i), pipelineId: pipeline.id })
        ids.add(deal.id)
      }
      const seen: Array<string> = []
      let cursor: string | null = null
      let pages = 0
      do {
        const page: { items: ReadonlyArray<{ id: string }>; nextCursor: string | null; totals: { count: number } } =
          yield* client.crm["crm.deal.list"]({ payload: cursor === null ? { limit: 3 } : { limit: 3, cursor } })
        assert.strictEqual(page.totals.count, 7)
        seen.push(...page.items.map((d) => d.id))
        cursor = page.nextCursor
        pages++
      } while (cursor !== null && pages < 10)
      assert.strictEqual(pages, 3)
      assert.strictEqual(seen.length, 7)
      assert.deepStrictEqual(new Set(seen), ids)
      const invalid = yield* Effect.flip(client.crm["crm.deal.list"]({ payload: { cursor: "bm9wZQ" } }))
      assert.strictEqual(invalid._tag, "InvalidCursor")
    })
  )

  it.effect("create-deal is idempotent: a retry with the same Idempotency-Key returns the first deal", () =>
    Effect.gen(function* () {
      const { admin, user, organizationId } = freshOrg()
      const pipeline = yield* createPipeline(admin)
      const client = yield* clientAs(user)
      const payload = { name: "Once", value: eur(5), pipelineId: pipeline.id }
      const headers = { "idempotency-key": "create-once-1" }
      const first = yield* client.crm["crm.deal.create"]({ payload, headers })
      const retry = yield* client.crm["crm.deal.create"]({ payload, headers })
      assert.deepStrictEqual(retry, first)
      assert.strictEqual(yield* count("deals", organizationId), 1)
      const changed = yield* Effect.flip(
        client.crm["crm.deal.create"]({ payload: { ...payload, name: "Twice" }, headers })
      )
      assert.strictEqual(changed._tag, "IdempotencyKeyReused")
    })
  )

  it.effect("create-company-happy-path and create-company-duplicate-domain", () =>
    Effect.gen(function* () {
      const { user } = freshOrg()
      const client = yield* clientAs(user)
      const acme = yield* client.crm["crm.company.create"]({
        payload: { name: "Acme", domain: "acme.example", industry: "Manufacturing" }
      })
      assert.match(acme.id, /^company_/)
      assert.strictEqual(acme.domain, "acme.example")
      const duplicate = yield* Effect.flip(
        client.crm["crm.company.create"]({ payload: { name: "Acme 2", domain: "acme.example" } })
      )
      assert.strictEqual(duplicate._tag, "CompanyDomainTaken")
      // Another organization may use the same domain.
      const other = yield* clientAs(freshOrg().user)
      yield* other.crm["crm.company.create"]({ payload: { name: "Acme", domain: "acme.example" } })
    })
  )

  it.effect("list-companies-search", () =>
    Effect.gen(function* () {
      const { user } = freshOrg()
      const client = yield* clientAs(user)
      yield* client.crm["crm.company.create"]({ payload: { name: "Acme" } })
      yield* client.crm["crm.company.create"]({ payload: { name: "Globex" } })
      const found = yield* client.crm["crm.company.list"]({ payload: { search: "acm" } })
      assert.deepStrictEqual(
        found.items.map((c) => c.name),
        ["Acme"]
      )
      const all = yield* client.crm["crm.company.list"]({ payload: { limit: 1 } })
      assert.strictEqual(all.items[0]?.name, "Acme")
      assert.isNotNull(all.nextCursor)
      const next = yield* client.crm["crm.company.list"]({ payload: { limit: 1, cursor: all.nextCursor ?? "" } })
      assert.deepStrictEqual(
        next.items.map((c) => c.name),
        ["Globex"]
      )
      assert.isNull(next.nextCursor)
    })
  )

  it.effect("create-contact-happy-path: contact.created carries ids only", () =>
    Effect.gen(function* () {
      const { user, organizationId } = freshOrg()
      const client = yield* clientAs(user)
      const acme = yield* client.crm["crm.company.create"]({ payload: { name: "Acme" } })
      const ada = yield* client.crm["crm.contact.create"]({
        payload: { firstName: "Ada", lastName: "Lovelace", email: "ada@acme.example", companyId: acme.id }
      })
      assert.strictEqual(ada.ownerId, user.userId)
      assert.strictEqual(ada.companyId, acme.id)
      const [event] = (yield* storedEvents(organizationId)).filter((e) => e.event_type === "contact.created")
      assert.deepStrictEqual(event?.payload, { contactId: ada.id, companyId: acme.id, ownerId: user.userId })
    })
  )

  it.effect("create-contact-unknown-company: another organization's company is a 404", () =>
    Effect.gen(function* () {
      const a = freshOrg()
      const b = freshOrg()
      const theirs = yield* Effect.flatMap(clientAs(b.user), (client) =>
        client.crm["crm.company.create"]({ payload: { name: "Theirs" } })
      )
      const error = yield* Effect.flip(
        Effect.flatMap(clientAs(a.user), (client) =>
          client.crm["crm.contact.create"]({ payload: { firstName: "Eve", companyId: theirs.id } })
        )
      )
      assert.strictEqual(error._tag, "CompanyNotFound")
      assert.strictEqual(yield* count("contacts", a.organizationId), 0)
    })
  )

  it.effect("list-contacts-of-company", () =>
    Effect.gen(function* () {
      const { user } = freshOrg()
      const client = yield* clientAs(user)
      const acme = yield* client.crm["crm.company.create"]({ payload: { name: "Acme" } })
      const globex = yield* client.crm["crm.company.create"]({ payload: { name: "Globex" } })
      yield* client.crm["crm.contact.create"]({ payload: { firstName: "Ada", companyId: acme.id } })
      yield* client.crm["crm.contact.create"]({ payload: { firstName: "Hank", companyId: globex.id } })
      const list = yield* client.crm["crm.contact.list"]({ payload: { companyId: acme.id } })
      assert.deepStrictEqual(
        list.items.map((c) => c.firstName),
        ["Ada"]
      )
      const search = yield* client.crm["crm.contact.list"]({ payload: { search: "han" } })
      assert.deepStrictEqual(
        search.items.map((c) => c.firstName),
        ["Hank"]
      )
    })
  )

  it.effect("create-task-for-deal, complete-task-happy-path, complete-task-twice, list-open-tasks-of-deal", () =>
    Effect.gen(function* () {
      const { admin, user, organizationId } = freshOrg()
      const pipeline = yield* createPipeline(admin)
      const client = yield* clientAs(user)
      const deal = yield* newDeal(client, { name: "D", value: eur(1), pipelineId: pipeline.id })
      const other = yield* newDeal(client, { name: "E", value: eur(1), pipelineId: pipeline.id })
      const later = yield* client.crm["crm.task.create"]({
        payload: { type: "call", title: "Call back", dueAt: "2030-01-02T09:00:00.000Z", dealId: deal.id }
      })
      const task = yield* client.crm["crm.task.create"]({
        payload: { type: "follow_up", title: "Send the proposal", dueAt: "2030-01-01T09:00:00.000Z", dealId: deal.id }
      })
      yield* client.crm["crm.task.create"]({ payload: { type: "todo", title: "Elsewhere", dealId: other.id } })
      assert.strictEqual(task.status, "open")
      assert.strictEqual(task.assigneeId, user.userId)
      assert.strictEqual(task.dealId, deal.id)

      const done = yield* client.crm["crm.task.complete"]({ payload: { taskId: task.id } })
      assert.strictEqual(done.status, "completed")
      assert.isNotNull(done.completedAt)
      const twice = yield* Effect.flip(client.crm["crm.task.complete"]({ payload: { taskId: task.id } }))
      assert.strictEqual(twice._tag, "TaskAlreadyCompleted")
      const [event] = (yield* storedEvents(organizationId)).filter((e) => e.event_type === "task.completed")
      assert.deepStrictEqual(event?.payload, {
        taskId: task.id,
        type: "follow_up",
        assigneeId: user.userId,
        dealId: deal.id,
        contactId: null,
        completedAt: done.completedAt
      })

      const open = yield* client.crm["crm.task.list"]({ payload: { dealId: deal.id, status: "open" } })
      assert.deepStrictEqual(
        open.items.map((t) => t.id),
        [later.id]
      )
      const all = yield* client.crm["crm.task.list"]({ payload: { dealId: deal.id } })
      assert.deepStrictEqual(
        all.items.map((t) => t.id),
        [task.id, later.id]
      )
      const missingDeal = yield* Effect.flip(
        client.crm["crm.task.create"]({ payload: { type: "todo", title: "X", dealId: DealId.make("deal_nope") } })
      )
      assert.strictEqual(missingDeal._tag, "DealNotFound")
    })
  )

  it.effect("auth: no token or a bad token is a 401 on every operation", () =>
    Effect.gen(function* () {
      const http = yield* HttpClient.HttpClient
      const calls: ReadonlyArray<readonly [string, unknown]> = [
        ["/crm/pipeline/list", {}],
        ["/crm/deal/list", {}],
        ["/crm/deal/get", { dealId: "deal_1" }],
        ["/crm/deal/lose", { dealId: "deal_1", reason: "price" }],
        ["/crm/company/create", { name: "Acme" }]
      ]
      for (const [path, body] of calls) {
        const anonymous = yield* rawPost(path, body)
        assert.strictEqual(anonymous.status, 401, path)
        assert.match(anonymous.body, /UNAUTHENTICATED/)
        const forged = yield* http.execute(
          HttpClientRequest.post(path).pipe(
            HttpClientRequest.bodyJsonUnsafe(body),
            HttpClientRequest.bearerToken("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.invalid")
          )
        )
        assert.strictEqual(forged.status, 401, path)
      }
    })
  )

  it.effect("unknown properties are rejected with a 400 naming them", () =>
    Effect.gen(function* () {
      const { user } = freshOrg()
      const http = yield* HttpClient.HttpClient
      const token = yield* auth.mint(user)
      const response = yield* http.execute(
        HttpClientRequest.post("/crm/company/create").pipe(
          HttpClientRequest.bodyJsonUnsafe({ name: "Acme", organizationId: "someone-else" }),
          HttpClientRequest.bearerToken(token)
        )
      )
      assert.strictEqual(response.status, 400)
      const body = yield* Effect.flatMap(
        response.json,
        Schema.decodeUnknownEffect(Schema.Struct({ code: Schema.String }))
      )
      assert.strictEqual(body.code, "INVALID_INPUT")
    })
  )
})
