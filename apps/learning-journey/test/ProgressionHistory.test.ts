/**
 * Recording stays right without reading a learner's whole history (`domain/Evidence.ts`), against
 * real Postgres: `LearnerEventRepository.evidence`'s SQL answers each query as the in-memory
 * reference does; a learner with a long history crosses step boundaries as the whole history
 * says ("you already did that", counts and runs among old events); an event recorded for one
 * track only still counts on the learner's other tracks; concurrent events locking several
 * tracks' rows (created on the way) never deadlock.
 */
import { assert, layer } from "@effect/vitest"
import * as CrmEvents from "@tessera/contracts/crm/Events"
import * as Conditions from "@tessera/contracts/learning-journey/Conditions"
import { TrackId } from "@tessera/contracts/learning-journey/Shared"
import type { TrackDefinition } from "@tessera/contracts/learning-journey/Tracks"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import fc from "fast-check"
import { matches } from "../src/domain/Conditions.ts"
import { CRM_FIRST_WIN_ID } from "../src/domain/CrmFirstWin.ts"
import type { HistoryQuery } from "../src/domain/Evidence.ts"
import { LearnerEventRepository } from "../src/repositories/LearnerEventRepository.ts"
import { TrackRepository } from "../src/repositories/TrackRepository.ts"
import { installBuiltInTracks } from "../src/seed.ts"
import { type Emission, type IncomingEvent, Progression } from "../src/services/Progression.ts"
import { answer, type Recorded } from "./support/Evidence.ts"
import { WithServices } from "./support/LearningTestLayer.ts"

const HOUR = 3_600_000
const t0 = Date.parse("2025-01-20T09:00:00.000Z")
const at = (hours: number) => new Date(t0 + hours * HOUR)

let ids = 0
const event = (eventType: string, hours: number, payload: Record<string, unknown> = {}): IncomingEvent => ({
  eventId: `evt_${++ids}`,
  eventType,
  eventVersion: 1,
  payload,
  occurredAt: at(hours)
})

const labels = (emissions: ReadonlyArray<Emission>) =>
  emissions.map((emission) =>
    emission._tag === "StepCompleted" ? `${emission.payload.trackId}/${emission.payload.stepId}` : emission._tag
  )

const step = (id: string, condition: Conditions.Condition, prerequisites: ReadonlyArray<string>) => ({
  id,
  title: id,
  instructions: "",
  condition,
  xp: 10,
  prerequisites,
  required: true
})

const definition = (name: string, steps: TrackDefinition["steps"]): TrackDefinition => ({
  product: "crm",
  name,
  description: "",
  steps,
  completion: { xpBonus: 0, badge: null },
  streak: null
})

const storedEvents = fc.sample(
  fc.record({
    learner: fc.constantFrom("u1", "u1", "u1", "u2"),
    eventType: fc.constantFrom("deal.moved", "deal.won", "task.completed"),
    eventVersion: fc.constantFrom(undefined, 1, 2),
    kind: fc.constantFrom("x", "y", null, undefined),
    n: fc.constantFrom(1, 2, 1.5),
    hours: fc.integer({ min: 0, max: 200 })
  }),
  { numRuns: 400, seed: 7 }
)

const queries: ReadonlyArray<HistoryQuery> = fc.sample(
  fc
    .record({
      matcher: fc.record({
        eventType: fc.constantFrom("deal.moved", "deal.won"),
        eventVersion: fc.constantFrom(1, 2),
        where: fc.constantFrom(undefined, { kind: "x" }, { kind: null }, { n: 1.5 }, { kind: "y", n: 2 })
      }),
      tag: fc.constantFrom("Matching", "Between", "Run"),
      limit: fc.integer({ min: 1, max: 6 }),
      from: fc.integer({ min: -10, max: 200 }),
      length: fc.integer({ min: 0, max: 60 }),
      bounded: fc.boolean()
    })
    .map(({ matcher: { where, ...matcher }, tag, limit, from, length, bounded }): HistoryQuery => {
      const m = where === undefined ? matcher : { ...matcher, where }
      switch (tag) {
        case "Matching":
          return { _tag: "Matching", matcher: m, limit }
        case "Between":
          return {
            _tag: "Between",
            matcher: m,
            from: at(from),
            to: at(from + length),
            limit: bounded ? limit : undefined
          }
        default:
          return { _tag: "Run", matcher: m, atLeast: limit, spanMs: length * HOUR }
      }
    }),
  { numRuns: 300, seed: 11 }
)

layer(WithServices, { excludeTestServices: true })("Progression without the whole history", (it) => {
  it.effect("the evidence SQL answers each query as the reference does (filters, versions, times, runs)", () =>
    Effect.gen(function* () {
      const events = yield* LearnerEventRepository
      const stored: Array<Recorded> = []
      for (const [n, draft] of storedEvents.entries()) {
        const recorded: Recorded = {
          eventId: `sql_${n}`,
          eventType: draft.eventType,
          eventVersion: draft.eventVersion,
          payload: draft.kind === undefined ? { n: draft.n } : { kind: draft.kind, n: draft.n },
          occurredAt: at(draft.hours)
        }
        yield* events.claim("org_sql", draft.learner, recorded, at(0), undefined)
        if (draft.learner === "u1") stored.push(recorded)
      }
      // Another organization's events of the same learner id are never evidence.
      for (const [n, recorded] of stored.slice(0, 50).entries()) {
        yield* events.claim("org_other", "u1", { ...recorded, eventId: `other_${n}` }, at(0), undefined)
      }

      for (const query of queries) {
        const got = yield* events.evidence("org_sql", "u1", [query])
        const expected = answer(query, stored)
        const context = JSON.stringify(query)
        assert.isTrue(
          got.every((row) => matches(query.matcher, row) && row.eventId.startsWith("sql_")),
          context
        )
        if (query._tag === "Run") {
          const times = (rows: ReadonlyArray<Recorded>) => rows.map((row) => row.occurredAt.getTime()).sort()
          assert.deepStrictEqual(times(got), times(expected), context)
        } else {
          assert.strictEqual(got.length, expected.length, context)
          if (query._tag === "Between") {
            assert.isTrue(
              got.every(
                (row) =>
                  row.occurredAt.getTime() >= query.from.getTime() && row.occurredAt.getTime() <= query.to.getTime()
              ),
              context
            )
          }
        }
      }
      // Several queries in one round trip: each row once.
      const both = yield* events.evidence("org_sql", "u1", queries.slice(0, 20))
      assert.strictEqual(new Set(both.map((row) => row.eventId)).size, both.length)
    })
  )

  it.effect("a learner with a long history crosses step boundaries as their whole history says", () =>
    Effect.gen(function* () {
      const progression = yield* Progression
      const tracks = yield* TrackRepository
      const track = yield* tracks.insert({
        organizationId: "org_long",
        id: TrackId.make("track_long"),
        definition: definition("Long history", [
          step("pipeline", Conditions.event(CrmEvents.PipelineCreated), []),
          step("moves", Conditions.count(CrmEvents.DealMoved, { atLeast: 3, withinHours: 2 }), ["pipeline"]),
          step("calls", Conditions.count(CrmEvents.TaskCompleted, { atLeast: 2, where: { type: "call" } }), ["moves"]),
          step("won", Conditions.window(CrmEvents.DealWon, { fromHours: 1, toHours: 10 }), ["pipeline"])
        ]),
        createdBy: "admin",
        createdAt: at(0)
      })
      const record = (incoming: IncomingEvent) => progression.record("org_long", "u1", incoming)

      // 300 moves three hours apart (no run of 3 within 2 hours), emails and one call: moves and
      // tasks start the track, complete nothing.
      const first = yield* record(event("deal.moved", 0))
      assert.deepStrictEqual(labels(first.emissions), ["Started"])
      for (let n = 1; n < 300; n++) yield* record(event("deal.moved", n * 3))
      for (let n = 0; n < 50; n++) yield* record(event("task.completed", n, { type: "email" }))
      yield* record(event("task.completed", 5, { type: "call" }))
      // A run of three moves within two hours, long ago (between old ones).
      yield* record(event("deal.moved", 30.5))
      const noRunYet = yield* record(event("deal.moved", 31))
      assert.deepStrictEqual(labels(noRunYet.emissions), [], "moves is blocked until the pipeline")

      // The pipeline unblocks `moves` (a run exists among old events: done), which unblocks
      // `calls` (only one call: not yet); `won` becomes available (no deal.won).
      const pipeline = yield* record(event("pipeline.created", 1000))
      assert.deepStrictEqual(labels(pipeline.emissions), [`${track.id}/pipeline`, `${track.id}/moves`])
      const won = yield* record(event("deal.won", 5))
      assert.deepStrictEqual(labels(won.emissions), [`${track.id}/won`], "inside the window after the start (hour 0)")
      const emails = yield* record(event("task.completed", 2000, { type: "email" }))
      assert.deepStrictEqual(labels(emails.emissions), [])
      const call = yield* record(event("task.completed", 2001, { type: "call" }))
      assert.deepStrictEqual(labels(call.emissions), [`${track.id}/calls`, "Completed"])

      const completed = yield* progression.progress("org_long", "u1", track.id)
      const [progress] = completed
      assert.strictEqual(progress?.status, "completed")
      assert.strictEqual(progress?.xp, 40)

      // A completed track never moves again: a later event changes nothing, a skip is refused.
      const after = yield* record(event("deal.moved", 3000))
      assert.deepStrictEqual(after.matchedTracks, [track.id])
      assert.deepStrictEqual(after.emissions, [])
      assert.deepStrictEqual(yield* progression.progress("org_long", "u1", track.id), completed)
      const refused = yield* progression.skip("org_long", "u1", track.id, "calls").pipe(Effect.flip)
      assert.strictEqual(refused._tag, "StepNotSkippable")
    })
  )

  it.effect("an event recorded for one track still counts on the learner's other tracks", () =>
    Effect.gen(function* () {
      const progression = yield* Progression
      const tracks = yield* TrackRepository
      yield* installBuiltInTracks("org_scoped")
      const other = yield* tracks.insert({
        organizationId: "org_scoped",
        id: TrackId.make("track_other"),
        definition: definition("Other", [
          step("pipeline", Conditions.event(CrmEvents.PipelineCreated), []),
          step("contact", Conditions.event(CrmEvents.ContactCreated), ["pipeline"]),
          step("deals", Conditions.count(CrmEvents.DealCreated, { atLeast: 2 }), ["contact"])
        ]),
        createdBy: "admin",
        createdAt: at(0)
      })
      const pipeline = yield* progression.record("org_scoped", "u1", event("pipeline.created", 0))
      assert.deepStrictEqual(
        labels(pipeline.emissions).filter((label) => label !== "Started"),
        [`${CRM_FIRST_WIN_ID}/create-pipeline`, `${other.id}/pipeline`]
      )
      // Recorded for the CRM first win only: the other track does not move now…
      const contact = yield* progression.record("org_scoped", "u1", event("contact.created", 1), {
        trackId: CRM_FIRST_WIN_ID
      })
      assert.deepStrictEqual(labels(contact.emissions), [`${CRM_FIRST_WIN_ID}/create-contact`])
      // …but its next event finds the contact in the learner's history.
      const deal = yield* progression.record("org_scoped", "u1", event("deal.created", 2))
      assert.deepStrictEqual(labels(deal.emissions), [`${CRM_FIRST_WIN_ID}/create-deal`, `${other.id}/contact`])
    })
  )

  it.effect("concurrent events of learners on several tracks lock in one order: no deadlock, each counted once", () =>
    Effect.gen(function* () {
      const progression = yield* Progression
      const tracks = yield* TrackRepository
      const sql = yield* SqlClient.SqlClient
      yield* installBuiltInTracks("org_locks")
      // Ids on both sides of the built-in ones: every event locks three or four rows.
      for (const id of ["a_moves", "z_moves"]) {
        yield* tracks.insert({
          organizationId: "org_locks",
          id: TrackId.make(id),
          definition: definition(id, [
            step("moves", Conditions.count(CrmEvents.DealMoved, { atLeast: 20 }), []),
            step("won", Conditions.event(CrmEvents.DealWon), ["moves"])
          ]),
          createdBy: "admin",
          createdAt: at(0)
        })
      }
      const deadlocks = sql<{ n: number }>`
        SELECT deadlocks::int AS n FROM pg_stat_database WHERE datname = current_database()`.pipe(
        Effect.map((rows) => rows[0]?.n ?? -1)
      )
      const before = yield* deadlocks
      const learners = ["u1", "u2", "u3"]
      const deliveries = learners.flatMap((learner) =>
        Array.from({ length: 20 }, (_, n) => ({
          learner,
          event: event(n % 2 === 0 ? "deal.moved" : "pipeline.created", n)
        }))
      )
      const results = yield* Effect.forEach(
        deliveries,
        ({ learner, event }) => progression.record("org_locks", learner, event),
        { concurrency: 8 }
      )
      assert.strictEqual(yield* deadlocks, before)
      for (const learner of learners) {
        const mine = results.filter((_, n) => deliveries[n]?.learner === learner)
        // The tenth move (of 20 events) is not the twentieth: `moves` stays available; the
        // first pipeline completes the CRM first win's first step exactly once.
        assert.deepStrictEqual(
          mine.flatMap((result) => labels(result.emissions)).filter((label) => label.endsWith("create-pipeline")),
          [`${CRM_FIRST_WIN_ID}/create-pipeline`]
        )
        const progress = yield* progression.progress("org_locks", learner)
        assert.deepStrictEqual(
          progress.map((item) => `${item.trackId}:${item.status}`).sort(),
          [
            `a_moves:in_progress`,
            `${CRM_FIRST_WIN_ID}:in_progress`,
            "integration-first-sync:not_started",
            "service-first-job:not_started",
            `z_moves:in_progress`
          ].sort()
        )
      }
    })
  )

  it.effect("an event in flight while a track was created (it did not see the track) still counts on it", () =>
    Effect.gen(function* () {
      const progression = yield* Progression
      const tracks = yield* TrackRepository
      const events = yield* LearnerEventRepository
      const created = yield* tracks.insert({
        organizationId: "org_new",
        id: TrackId.make("track_new"),
        definition: definition("New", [
          step("pipeline", Conditions.event(CrmEvents.PipelineCreated), []),
          step("contact", Conditions.event(CrmEvents.ContactCreated), ["pipeline"]),
          step("deals", Conditions.count(CrmEvents.DealCreated, { atLeast: 2 }), ["contact"])
        ]),
        createdBy: "admin",
        createdAt: new Date()
      })
      const pipeline = yield* progression.record("org_new", "u1", event("pipeline.created", 0))
      assert.deepStrictEqual(labels(pipeline.emissions), ["Started", `${created.id}/pipeline`])
      // What such an event leaves: recorded for the learner, no track advanced.
      const contact = event("contact.created", 1)
      yield* events.claim("org_new", "u1", { ...contact, eventVersion: contact.eventVersion }, at(1), undefined)
      const deal = yield* progression.record("org_new", "u1", event("deal.created", 2))
      assert.deepStrictEqual(labels(deal.emissions), [`${created.id}/contact`])
    })
  )

  it.effect("a track added after the organization's tracks were read is advanced from its next event", () =>
    Effect.gen(function* () {
      const progression = yield* Progression
      const tracks = yield* TrackRepository
      yield* installBuiltInTracks("org_added")
      // Reads (and keeps) the organization's three tracks; the claim locks with them from now on.
      yield* progression.record("org_added", "u1", event("pipeline.created", 0))
      const contact = yield* progression.record("org_added", "u1", event("contact.created", 1))
      assert.deepStrictEqual(labels(contact.emissions), [`${CRM_FIRST_WIN_ID}/create-contact`])
      const added = yield* tracks.insert({
        organizationId: "org_added",
        id: TrackId.make("track_added"),
        definition: definition("Added", [
          step("pipeline", Conditions.event(CrmEvents.PipelineCreated), []),
          step("deal", Conditions.event(CrmEvents.DealCreated), ["pipeline"])
        ]),
        createdBy: "admin",
        createdAt: at(0)
      })
      const deal = yield* progression.record("org_added", "u1", event("deal.created", 2))
      assert.deepStrictEqual(deal.matchedTracks, [CRM_FIRST_WIN_ID, added.id])
      assert.deepStrictEqual(labels(deal.emissions), [
        `${CRM_FIRST_WIN_ID}/create-deal`,
        "Started",
        `${added.id}/pipeline`,
        `${added.id}/deal`,
        "Completed"
      ])
    })
  )

  it.effect(
    "an event in flight while a track was created counts on it even when the learner's next event comes much later",
    () =>
      Effect.gen(function* () {
        const progression = yield* Progression
        const tracks = yield* TrackRepository
        const events = yield* LearnerEventRepository
        const sql = yield* SqlClient.SqlClient
        const createdAt = new Date(Date.now() - 60 * 60_000)
        const created = yield* tracks.insert({
          organizationId: "org_idle",
          id: TrackId.make("track_idle"),
          definition: definition("Idle", [
            step("pipeline", Conditions.event(CrmEvents.PipelineCreated), []),
            step("contact", Conditions.event(CrmEvents.ContactCreated), ["pipeline"]),
            step("deals", Conditions.count(CrmEvents.DealCreated, { atLeast: 2 }), ["contact"])
          ]),
          createdBy: "admin",
          createdAt
        })
        yield* progression.record("org_idle", "u1", event("pipeline.created", 0))
        // The learner's progress was last saved a minute after the track was created (an hour ago)…
        yield* sql`UPDATE learning.progress SET updated_at = ${new Date(createdAt.getTime() + 60_000)}
        WHERE organization_id = 'org_idle'`
        // …and an event in flight then committed after it, advancing nothing.
        const contact = event("contact.created", 1)
        yield* events.claim("org_idle", "u1", { ...contact, eventVersion: contact.eventVersion }, at(1), undefined)
        const deal = yield* progression.record("org_idle", "u1", event("deal.created", 2))
        assert.deepStrictEqual(labels(deal.emissions), [`${created.id}/contact`])
      })
  )
})
