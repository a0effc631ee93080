/**
 * The five contracts through real HTTP and the derived client, on real Postgres: one test per
 * acceptance scenario (named by its key), the events each call emits, and tenancy.
 */
import { assert, layer } from "@effect/vitest"
import type { Principal } from "@tessera/contract-kit/Contract"
import { TrackId } from "@tessera/contracts/learning-journey/Shared"
import { Effect } from "effect"
import { HttpClient, HttpClientRequest } from "effect/http"
import { SqlClient } from "effect/sql"
import { CRM_FIRST_WIN_ID } from "../src/domain/CrmFirstWin.ts"
import { TrackRepository } from "../src/repositories/TrackRepository.ts"
import { installBuiltInTracks } from "../src/seed.ts"
import { auth, clientAs, LearningTestLayer } from "./support/LearningTestLayer.ts"

const TestLayer = LearningTestLayer

const ada: Principal = { userId: "ada", organizationId: "org_a", roles: [] }
const adminA: Principal = { userId: "root_a", organizationId: "org_a", roles: ["admin"] }
const bea: Principal = { userId: "bea", organizationId: "org_b", roles: ["admin"] }

const install = (organizationId: string) =>
  installBuiltInTracks(organizationId).pipe(Effect.provide(TrackRepository.layer))

const emitted = (organizationId: string) =>
  Effect.flatMap(
    SqlClient.SqlClient,
    (sql) => sql<{ event_type: string; payload: { readonly [field: string]: unknown } }>`
      SELECT event_type, payload FROM dispatch.events
      WHERE organization_id = ${organizationId} ORDER BY position`
  )

const definition = {
  product: "crm",
  name: "Sales basics",
  description: "Set up a pipeline and work your deals.",
  steps: [
    {
      id: "create-pipeline",
      title: "Create a pipeline",
      instructions: "",
      condition: { kind: "event" as const, event: { eventType: "pipeline.created", eventVersion: 1 } },
      xp: 50,
      prerequisites: [],
      required: true
    },
    {
      id: "move-deals",
      title: "Move deals",
      instructions: "",
      condition: { kind: "count" as const, event: { eventType: "deal.moved", eventVersion: 1 }, atLeast: 2 },
      xp: 75,
      prerequisites: ["create-pipeline"],
      required: false
    }
  ],
  completion: { xpBonus: 100, badge: "sales-basics" },
  streak: null
}

layer(TestLayer, { excludeTestServices: true })("learning-journey over HTTP", (it) => {
  it.effect("create-track-happy-path, list-tracks-own-organization", () =>
    Effect.gen(function* () {
      const admin = yield* clientAs(adminA)
      const created = yield* admin.learning["learning.track.create"]({ payload: definition })
      assert.match(created.id, /^track_[0-9a-f-]{36}$/)
      assert.deepStrictEqual(created.steps, definition.steps)
      const other = yield* clientAs(bea)
      yield* other.learning["learning.track.create"]({ payload: { ...definition, name: "B's track" } })

      const listed = yield* (yield* clientAs(ada)).learning["learning.track.list"]({ payload: {} })
      assert.deepStrictEqual(
        listed.items.map((track) => track.name),
        ["Sales basics"]
      )
      const none = yield* (yield* clientAs(ada)).learning["learning.track.list"]({ payload: { product: "service" } })
      assert.deepStrictEqual(none.items, [])
    })
  )

  it.effect("create-track-name-taken, create-track-rejects-forward-prerequisite, and creating needs admin", () =>
    Effect.gen(function* () {
      const admin = yield* clientAs({ ...adminA, organizationId: "org_names" })
      yield* admin.learning["learning.track.create"]({ payload: definition })
      const taken = yield* admin.learning["learning.track.create"]({ payload: definition }).pipe(Effect.flip)
      assert.strictEqual(taken._tag, "TrackNameTaken")

      const http = yield* HttpClient.HttpClient
      const token = yield* auth.mint({ ...adminA, organizationId: "org_names" })
      const forward = yield* http.execute(
        HttpClientRequest.post("/learning/track/create").pipe(
          HttpClientRequest.bodyJsonUnsafe({
            ...definition,
            name: "Forward",
            steps: [...definition.steps].reverse()
          }),
          HttpClientRequest.bearerToken(token)
        )
      )
      assert.strictEqual(forward.status, 400)
      const body = yield* forward.json
      assert.include(JSON.stringify(body), "prerequisite")

      const user = yield* clientAs({ ...ada, organizationId: "org_names" })
      const forbidden = yield* user.learning["learning.track.create"]({ payload: { ...definition, name: "X" } }).pipe(
        Effect.flip
      )
      assert.strictEqual(forbidden._tag, "Forbidden")
    })
  )

  it.effect("get-progress-not-started, get-progress-unknown-track", () =>
    Effect.gen(function* () {
      yield* install("org_progress")
      const client = yield* clientAs({ ...ada, organizationId: "org_progress" })
      const { items } = yield* client.learning["learning.onboarding.getProgress"]({
        payload: { trackId: CRM_FIRST_WIN_ID }
      })
      assert.strictEqual(items.length, 1)
      assert.strictEqual(items[0]?.status, "not_started")
      assert.strictEqual(items[0]?.learnerId, "ada")
      assert.strictEqual(items[0]?.xp, 0)
      assert.deepStrictEqual(
        items[0]?.steps.map((step) => step.status),
        ["available", "blocked", "blocked", "blocked", "blocked", "blocked"]
      )
      const unknown = yield* client.learning["learning.onboarding.getProgress"]({
        payload: { trackId: TrackId.make("track_elsewhere") }
      }).pipe(Effect.flip)
      assert.strictEqual(unknown._tag, "TrackNotFound")
    })
  )

  it.effect(
    "record-event-completes-step, record-event-unknown-track, record-event-no-matching-step, record-event-refused-to-learners",
    () =>
      Effect.gen(function* () {
        yield* install("org_record")
        const client = yield* clientAs({ ...ada, organizationId: "org_record" })
        // Events are recorded by services (here the CRM's relay) and admins, never by the learner.
        const relay = yield* clientAs({ userId: "crm-relay", organizationId: "org_record", roles: [], kind: "service" })
        const selfAward = yield* client.learning["learning.onboarding.recordEvent"]({
          payload: { learnerId: "ada", eventName: "pipeline.created", eventVersion: 1 }
        }).pipe(Effect.flip)
        assert.strictEqual(selfAward._tag, "Forbidden")
        const recorded = yield* relay.learning["learning.onboarding.recordEvent"]({
          payload: {
            learnerId: "ada",
            trackId: CRM_FIRST_WIN_ID,
            eventName: "pipeline.created",
            eventVersion: 1,
            eventPayload: { pipelineId: "pipe_1" },
            occurredAt: "2025-01-20T09:00:00.000Z"
          }
        })
        assert.deepStrictEqual(recorded, { success: true })
        const events = yield* emitted("org_record")
        assert.deepStrictEqual(
          events.map((event) => event.event_type),
          ["onboarding.started", "onboarding.step_completed"]
        )
        assert.deepStrictEqual(events[1]?.payload, {
          trackId: CRM_FIRST_WIN_ID,
          learnerId: "ada",
          stepId: "create-pipeline",
          xpAwarded: 50,
          xp: 50,
          completedAt: "2025-01-20T09:00:00.000Z"
        })
        const { items } = yield* client.learning["learning.onboarding.getProgress"]({ payload: {} })
        assert.strictEqual(items[0]?.xp, 50)
        assert.strictEqual(items[0]?.steps[0]?.status, "completed")

        const unknownTrack = yield* relay.learning["learning.onboarding.recordEvent"]({
          payload: { learnerId: "ada", trackId: TrackId.make("track_elsewhere"), eventName: "pipeline.created" }
        }).pipe(Effect.flip)
        assert.strictEqual(unknownTrack._tag, "TrackNotFound")

        const noStep = yield* relay.learning["learning.onboarding.recordEvent"]({
          payload: { learnerId: "ada", eventName: "invoice.paid" }
        }).pipe(Effect.flip)
        assert.strictEqual(noStep._tag, "StepNotFound")
        assert.strictEqual(noStep._tag === "StepNotFound" ? noStep.code : "", "STEP_NOT_FOUND")
        assert.strictEqual(
          (yield* emitted("org_record")).length,
          2,
          "refused calls roll back: no event, no progress change"
        )

        // Another organization's learner with the same id is untouched.
        yield* install("org_record_b")
        const other = yield* clientAs({ ...ada, organizationId: "org_record_b" })
        const theirs = yield* other.learning["learning.onboarding.getProgress"]({ payload: {} })
        assert.strictEqual(theirs.items[0]?.status, "not_started")
      })
  )

  it.effect("skip-optional-step, skip-required-step-refused", () =>
    Effect.gen(function* () {
      const admin = yield* clientAs({ ...adminA, organizationId: "org_skip" })
      const track = yield* admin.learning["learning.track.create"]({ payload: definition })
      const client = yield* clientAs({ ...ada, organizationId: "org_skip" })

      const required = yield* client.learning["learning.step.skip"]({
        payload: { trackId: track.id, stepId: "create-pipeline" }
      }).pipe(Effect.flip)
      assert.strictEqual(required._tag, "StepNotSkippable")

      yield* admin.learning["learning.onboarding.recordEvent"]({
        payload: { learnerId: "ada", eventName: "pipeline.created", eventVersion: 1 }
      })
      const skipped = yield* client.learning["learning.step.skip"]({
        payload: { trackId: track.id, stepId: "move-deals" }
      })
      assert.strictEqual(skipped.status, "completed")
      assert.strictEqual(skipped.xp, 50 + 100)
      assert.deepStrictEqual(skipped.badges, ["sales-basics"])
      assert.deepStrictEqual(
        skipped.steps.map((step) => step.status),
        ["completed", "skipped"]
      )
      assert.deepStrictEqual(
        (yield* emitted("org_skip")).map((event) => event.event_type),
        ["onboarding.started", "onboarding.step_completed", "onboarding.completed"]
      )
    })
  )
})
