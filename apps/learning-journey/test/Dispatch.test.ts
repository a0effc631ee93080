/**
 * The learning journey behind the real dispatcher, in one process on real Postgres: the CRM
 * publishes its events through the outbox (as its handlers do), the `learning.progress` consumer
 * runs in a worker, and the acting user's progress follows. The CRM keeps publishing while the
 * consumer is stopped; the journey catches up when it starts again.
 */
import { assert, layer } from "@effect/vitest"
import { registry } from "@tessera/contracts/registry"
import * as Worker from "@tessera/dispatcher/Worker"
import type { AnyEventDefinition } from "@tessera/envelope/EventDefinition"
import { type EmitContext, EventSink, type OutgoingEvent } from "@tessera/envelope/EventSink"
import * as Payload from "@tessera/envelope/Payload"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { ProgressConsumer } from "../src/consumers/ProgressConsumer.ts"
import { CRM_FIRST_WIN_ID } from "../src/domain/CrmFirstWin.ts"
import { installBuiltInTracks } from "../src/seed.ts"
import { Progression } from "../src/services/Progression.ts"
import * as FirstWin from "./support/FirstWin.ts"
import { WithServices } from "./support/LearningTestLayer.ts"

const TestLayer = WithServices

const ORG = "org_dispatch"

const crmCall = (userId: string): EmitContext => ({
  producer: "crm",
  organizationId: ORG,
  actor: { type: "user", id: userId },
  correlationId: `corr_${userId}`
})

/** A CRM event with its payload written in JSON form and decoded through its definition. */
const crmEvent = <D extends AnyEventDefinition>(definition: D, json: unknown, occurredAt: string) =>
  Effect.map(
    Payload.decode(definition, json),
    (payload): OutgoingEvent => ({ definition, payload, occurredAt: new Date(occurredAt) })
  )

/** What the CRM's handlers do: publish in their transaction. */
const publish = (userId: string, events: ReadonlyArray<OutgoingEvent>) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const sink = yield* EventSink
    return yield* sql.withTransaction(sink.publish(events, crmCall(userId)))
  })

const firstWin = (userId: string) =>
  Effect.forEach(
    FirstWin.firstWin({
      learner: userId,
      ids: userId,
      amountMinor: 990_00,
      at: [
        "2025-01-20T09:00:00.000Z",
        "2025-01-20T09:01:00.000Z",
        "2025-01-20T09:02:00.000Z",
        "2025-01-20T09:10:00.000Z",
        "2025-01-20T09:11:00.000Z",
        "2025-01-20T09:12:00.000Z",
        "2025-01-20T10:00:00.000Z",
        "2025-01-20T11:00:00.000Z"
      ]
    }),
    (event) => crmEvent(event.definition, event.json, event.occurredAt)
  )

const progressOf = (userId: string) =>
  Effect.flatMap(Progression, (progression) => progression.progress(ORG, userId, CRM_FIRST_WIN_ID)).pipe(
    Effect.map((items) => items[0])
  )

const waitFor = <E, R>(what: string, check: Effect.Effect<boolean, E, R>) =>
  Effect.gen(function* () {
    const deadline = Date.now() + 20_000
    for (;;) {
      if (yield* check) return
      if (Date.now() > deadline) return yield* Effect.fail(`timed out waiting for: ${what}`)
      yield* Effect.sleep("25 millis")
    }
  })

const count = (query: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql.unsafe<{ n: number }>(`SELECT count(*)::int AS n FROM ${query}`)
  ).pipe(Effect.map((rows) => rows[0]?.n ?? -1))

const runWorker = Worker.run(ProgressConsumer, { registry, pollInterval: "100 millis" })

layer(TestLayer, { excludeTestServices: true })("learning.progress behind the dispatcher", (it) => {
  it.effect("CRM events reach completed with the right XP and badge, once; the journey catches up after a stop", () =>
    Effect.gen(function* () {
      yield* installBuiltInTracks(ORG)

      // First run: the consumer subscribes and handles ada's first win.
      yield* Effect.scoped(
        Effect.gen(function* () {
          yield* runWorker
          yield* publish("ada", yield* firstWin("ada"))
          yield* waitFor(
            "ada's track to complete",
            Effect.map(progressOf("ada"), (progress) => progress?.status === "completed")
          )
        })
      )
      const ada = yield* progressOf("ada")
      assert.strictEqual(ada?.xp, 700)
      assert.deepStrictEqual(ada?.badges, ["crm-first-win"])
      assert.strictEqual(yield* count("dispatch.inbox WHERE consumer = 'learning.progress'"), 8)
      assert.deepStrictEqual(
        yield* Effect.flatMap(
          SqlClient.SqlClient,
          (sql) => sql<{ event_type: string; n: number }>`
            SELECT event_type, count(*)::int AS n FROM dispatch.events
            WHERE producer = 'learning' AND organization_id = ${ORG} GROUP BY event_type ORDER BY event_type`
        ),
        [
          { event_type: "onboarding.completed", n: 1 },
          { event_type: "onboarding.started", n: 1 },
          { event_type: "onboarding.step_completed", n: 6 }
        ]
      )

      // The consumer is stopped: the CRM keeps publishing, nothing moves.
      yield* publish("bob", yield* firstWin("bob"))
      assert.strictEqual((yield* progressOf("bob"))?.status, "not_started")

      // It starts again and catches up; ada's events are not handled twice.
      yield* Effect.scoped(
        Effect.gen(function* () {
          yield* runWorker
          yield* waitFor(
            "bob's track to complete",
            Effect.map(progressOf("bob"), (progress) => progress?.status === "completed")
          )
        })
      )
      assert.strictEqual((yield* progressOf("bob"))?.xp, 700)
      assert.deepStrictEqual(yield* progressOf("ada"), ada)
      assert.strictEqual(yield* count("dispatch.inbox WHERE consumer = 'learning.progress'"), 16)
      assert.strictEqual(yield* count("learning.learner_events"), 16)
      assert.strictEqual(yield* count("dispatch.dead_letters"), 0)
    })
  )
})
