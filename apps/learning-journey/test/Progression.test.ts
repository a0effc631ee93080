/**
 * The Progression service against real Postgres: the CRM first win fed with the CRM's events as
 * the dispatcher delivers them (JSON payloads, event ids), exactly-once recording, tenancy,
 * skips, and concurrent events of one learner.
 */
import { randomUUID } from "node:crypto"
import { assert, layer } from "@effect/vitest"
import * as CrmEvents from "@tessera/contracts/crm/Events"
import * as Conditions from "@tessera/contracts/learning-journey/Conditions"
import { TrackId } from "@tessera/contracts/learning-journey/Shared"
import type { TrackDefinition } from "@tessera/contracts/learning-journey/Tracks"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { builtInTracks } from "../src/domain/BuiltInTracks.ts"
import { CRM_FIRST_WIN_ID } from "../src/domain/CrmFirstWin.ts"
import { TrackRepository } from "../src/repositories/TrackRepository.ts"
import { installBuiltInTracks } from "../src/seed.ts"
import { type IncomingEvent, Progression } from "../src/services/Progression.ts"
import * as FirstWin from "./support/FirstWin.ts"
import { type JourneyEvent, journeyEvent } from "./support/FirstWin.ts"
import { WithServices } from "./support/LearningTestLayer.ts"

const TestLayer = WithServices

/** Every built-in track: what an organization has before it writes one. */
const builtInIds = builtInTracks.map((track) => track.id).sort()

const HOUR = 3_600_000
const t0 = Date.parse("2025-01-20T09:00:00.000Z")

const at = (hours: number) => new Date(t0 + hours * HOUR).toISOString()

/** A CRM event as the dispatcher delivers it: a fresh id, the payload in its JSON form. */
const incoming = (event: JourneyEvent): IncomingEvent => ({
  eventId: randomUUID(),
  eventType: event.definition.type,
  eventVersion: event.definition.version,
  payload: event.json,
  occurredAt: new Date(event.occurredAt)
})

const moved = (n: number) =>
  incoming(
    journeyEvent(
      CrmEvents.DealMoved,
      { dealId: "deal_1", pipelineId: "pipe_1", fromStageId: `s${n}`, toStageId: `s${n + 1}`, ownerId: "u1" },
      at(3 + n)
    )
  )

const firstWin: ReadonlyArray<IncomingEvent> = FirstWin.firstWin({
  learner: "u1",
  ids: "1",
  amountMinor: 100_000,
  at: [at(0), at(1), at(2), at(3), at(4), at(5), at(6), at(7)]
}).map(incoming)

const count = (query: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql.unsafe<{ n: number }>(`SELECT count(*)::int AS n FROM ${query}`)
  ).pipe(Effect.map((rows) => rows[0]?.n ?? -1))

const firstWinProgress = (organizationId: string, learnerId: string) =>
  Effect.flatMap(Progression, (progression) => progression.progress(organizationId, learnerId, CRM_FIRST_WIN_ID)).pipe(
    Effect.map((items) => items[0])
  )

layer(TestLayer, { excludeTestServices: true })("Progression", (it) => {
  it.effect("the CRM events complete the CRM first win with the right XP and badge", () =>
    Effect.gen(function* () {
      const progression = yield* Progression
      assert.deepStrictEqual([...(yield* installBuiltInTracks("org_a"))].sort(), builtInIds)
      assert.deepStrictEqual(yield* installBuiltInTracks("org_a"), [], "installing twice changes nothing")

      const before = yield* firstWinProgress("org_a", "u1")
      assert.strictEqual(before?.status, "not_started")
      assert.deepStrictEqual(
        before?.steps.map((step) => step.status),
        ["available", "blocked", "blocked", "blocked", "blocked", "blocked"]
      )

      const results = yield* Effect.forEach(firstWin, (event) => progression.record("org_a", "u1", event))
      assert.isTrue(results.every((result) => !result.duplicate))
      assert.deepStrictEqual(
        results.flatMap((result) =>
          result.emissions.map((emission) =>
            emission._tag === "StepCompleted" ? `${emission.payload.stepId}:${emission.payload.xp}` : emission._tag
          )
        ),
        [
          "Started",
          "create-pipeline:50",
          "create-contact:100",
          "create-deal:175",
          "move-deals:275",
          "win-deal:425",
          "follow-up:500",
          "Completed"
        ]
      )
      const completed = results.at(-1)?.emissions.at(-1)
      assert.deepStrictEqual(completed?._tag === "Completed" ? completed.payload : undefined, {
        trackId: CRM_FIRST_WIN_ID,
        learnerId: "u1",
        xp: 700,
        badges: ["crm-first-win"],
        completedAt: "2025-01-20T16:00:00.000Z"
      })

      const after = yield* firstWinProgress("org_a", "u1")
      assert.strictEqual(after?.status, "completed")
      assert.strictEqual(after?.xp, 700)
      assert.deepStrictEqual(after?.badges, ["crm-first-win"])
      assert.strictEqual(after?.startedAt, "2025-01-20T09:00:00.000Z")
      assert.strictEqual(after?.completedAt, "2025-01-20T16:00:00.000Z")
      assert.deepStrictEqual(after?.streak, { current: 1, longest: 1, lastActiveDay: "2025-01-20" })
      assert.isTrue(after?.steps.every((step) => step.status === "completed"))

      // The derived columns are stored for listing.
      const sql = yield* SqlClient.SqlClient
      const rows = yield* sql<{ xp: number; status: string }>`
        SELECT xp, status FROM learning.progress WHERE organization_id = 'org_a' AND learner_id = 'u1'`
      assert.deepStrictEqual(rows, [{ xp: 700, status: "completed" }])

      // Delivering the same events again (at-least-once delivery) changes nothing.
      const eventsBefore = yield* count("learning.learner_events WHERE organization_id = 'org_a'")
      const replays = yield* Effect.forEach(firstWin, (event) => progression.record("org_a", "u1", event))
      assert.isTrue(replays.every((result) => result.duplicate && result.emissions.length === 0))
      assert.strictEqual(yield* count("learning.learner_events WHERE organization_id = 'org_a'"), eventsBefore)
      assert.deepStrictEqual(yield* firstWinProgress("org_a", "u1"), after)
    })
  )

  it.effect("re-recording one event id before the track completes counts it once", () =>
    Effect.gen(function* () {
      const progression = yield* Progression
      yield* installBuiltInTracks("org_dup")
      const [pipeline, contact, deal] = firstWin
      if (pipeline === undefined || contact === undefined || deal === undefined) return assert.fail("fixture")
      for (const event of [pipeline, contact, deal]) yield* progression.record("org_dup", "u1", event)
      const move = moved(0)
      for (let i = 0; i < 3; i++) yield* progression.record("org_dup", "u1", move)
      const progress = yield* firstWinProgress("org_dup", "u1")
      assert.strictEqual(progress?.steps[3]?.status, "available", "one move delivered three times is one move")
      assert.strictEqual(progress?.xp, 175)
      assert.strictEqual(yield* count("learning.learner_events WHERE organization_id = 'org_dup'"), 4)
    })
  )

  it.effect("tenancy: one organization's events, tracks and progress are invisible to another", () =>
    Effect.gen(function* () {
      const progression = yield* Progression
      const tracks = yield* TrackRepository
      yield* installBuiltInTracks("org_b")
      yield* installBuiltInTracks("org_c")
      const custom = yield* tracks.insert({
        organizationId: "org_b",
        id: TrackId.make("track_b_only"),
        definition: {
          product: "crm",
          name: "B only",
          description: "",
          steps: [
            {
              id: "pipeline",
              title: "Pipeline",
              instructions: "",
              condition: Conditions.event(CrmEvents.PipelineCreated),
              xp: 10,
              prerequisites: [],
              required: true
            }
          ],
          completion: { xpBonus: 0, badge: null },
          streak: null
        },
        createdBy: "admin_b",
        createdAt: new Date(t0)
      })

      const [pipeline] = firstWin
      if (pipeline === undefined) return assert.fail("fixture")
      const inB = yield* progression.record("org_b", "u1", pipeline)
      assert.deepStrictEqual([...inB.matchedTracks].sort(), [CRM_FIRST_WIN_ID, custom.id].sort())
      // The same event id in another organization is another event.
      const inC = yield* progression.record("org_c", "u1", pipeline)
      assert.isFalse(inC.duplicate)
      assert.deepStrictEqual(inC.matchedTracks, [CRM_FIRST_WIN_ID])

      const listedInC = yield* progression.progress("org_c", "u1")
      assert.deepStrictEqual(listedInC.map((progress) => progress.trackId).sort(), builtInIds, "not org_b's track")
      const unknownInC = yield* progression.progress("org_c", "u1", custom.id).pipe(Effect.flip)
      assert.strictEqual(unknownInC._tag, "TrackNotFound")
      const recordInC = yield* progression
        .record(
          "org_c",
          "u1",
          incoming(journeyEvent(CrmEvents.ContactCreated, { contactId: "c", companyId: null, ownerId: "u1" }, at(1))),
          {
            trackId: custom.id
          }
        )
        .pipe(Effect.flip)
      assert.strictEqual(recordInC.code, "TRACK_NOT_FOUND")
      assert.strictEqual(yield* count("learning.learner_events WHERE organization_id = 'org_c'"), 1, "rolled back")

      assert.strictEqual((yield* firstWinProgress("org_b", "u1"))?.xp, 50)
      assert.strictEqual((yield* firstWinProgress("org_b", "u2"))?.status, "not_started", "another learner")
      assert.deepStrictEqual(yield* progression.progress("org_d", "u1"), [], "no tracks in an empty organization")
      assert.strictEqual(
        (yield* tracks.list("org_c")).some((track) => track.id === custom.id),
        false
      )
    })
  )

  it.effect("skipping an optional step: no XP, unblocks, completes; required and unknown steps are refused", () =>
    Effect.gen(function* () {
      const progression = yield* Progression
      yield* installBuiltInTracks("org_skip")
      for (const event of firstWin.slice(0, 7)) yield* progression.record("org_skip", "u1", event)

      const required = yield* progression.skip("org_skip", "u1", CRM_FIRST_WIN_ID, "win-deal").pipe(Effect.flip)
      assert.strictEqual(required._tag, "StepNotSkippable")
      const unknown = yield* progression.skip("org_skip", "u1", CRM_FIRST_WIN_ID, "dance").pipe(Effect.flip)
      assert.strictEqual(unknown.code, "STEP_NOT_FOUND")
      const otherOrg = yield* progression.skip("org_other", "u1", CRM_FIRST_WIN_ID, "follow-up").pipe(Effect.flip)
      assert.strictEqual(otherOrg.code, "TRACK_NOT_FOUND")

      const skipped = yield* progression.skip("org_skip", "u1", CRM_FIRST_WIN_ID, "follow-up")
      assert.strictEqual(skipped.progress.status, "completed")
      assert.strictEqual(skipped.progress.xp, 500 - 75 + 200)
      assert.strictEqual(skipped.progress.steps.at(-1)?.status, "skipped")
      assert.deepStrictEqual(
        skipped.emissions.map((emission) => emission._tag),
        ["Completed"]
      )
      assert.deepStrictEqual(yield* firstWinProgress("org_skip", "u1"), skipped.progress)
    })
  )

  it.effect("track names are unique per organization", () =>
    Effect.gen(function* () {
      const tracks = yield* TrackRepository
      const definition: TrackDefinition = {
        product: "crm",
        name: "Duplicate",
        description: "",
        steps: [
          {
            id: "won",
            title: "Win",
            instructions: "",
            condition: Conditions.window(CrmEvents.DealWon, { toHours: 24 }),
            xp: 5,
            prerequisites: [],
            required: true
          }
        ],
        completion: { xpBonus: 0, badge: null },
        streak: null
      }
      const first = { organizationId: "org_names", definition, createdBy: "a", createdAt: new Date(t0) }
      const stored = yield* tracks.insert({ ...first, id: TrackId.make("t1") })
      assert.deepStrictEqual(stored.steps, definition.steps)
      const taken = yield* tracks.insert({ ...first, id: TrackId.make("t2") }).pipe(Effect.flip)
      assert.strictEqual(taken.code, "TRACK_NAME_TAKEN")
      yield* tracks.insert({ ...first, organizationId: "org_names_2", id: TrackId.make("t1") })
    })
  )

  it.effect("concurrent deliveries of one learner's moves complete the move step exactly once", () =>
    Effect.gen(function* () {
      const progression = yield* Progression
      yield* installBuiltInTracks("org_conc")
      for (const event of firstWin.slice(0, 3)) yield* progression.record("org_conc", "u1", event)
      const moves = Array.from({ length: 6 }, (_, n) => moved(n))
      const results = yield* Effect.forEach(
        [...moves, ...moves],
        (event) => progression.record("org_conc", "u1", event),
        { concurrency: "unbounded" }
      )
      assert.strictEqual(results.filter((result) => !result.duplicate).length, 6)
      const completions = results.flatMap((result) =>
        result.emissions.filter((emission) => emission._tag === "StepCompleted")
      )
      assert.deepStrictEqual(
        completions.map((emission) => (emission._tag === "StepCompleted" ? emission.payload.stepId : "")),
        ["move-deals"]
      )
      assert.strictEqual((yield* firstWinProgress("org_conc", "u1"))?.xp, 275)
    })
  )
})
