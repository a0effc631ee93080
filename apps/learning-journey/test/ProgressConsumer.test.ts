/**
 * The CRM events as the dispatcher delivers them (envelopes with decoded payloads), handled the
 * way the learning journey's consumer handles them: progress for the acting user, onboarding
 * events published with the delivered event as their cause, nothing twice.
 */
import { assert, layer } from "@effect/vitest"
import {
  ContactCreated,
  DealCreated,
  DealMoved,
  DealWon,
  PipelineCreated,
  TaskCompleted
} from "@tessera/contracts/crm/Events"
import { registry } from "@tessera/contracts/registry"
import * as DispatchMigrations from "@tessera/dispatcher/DispatchMigrations"
import * as Outbox from "@tessera/dispatcher/Outbox"
import type { DecodedEnvelope } from "@tessera/envelope/Envelope"
import type { AnyEventDefinition, PayloadOf } from "@tessera/envelope/EventDefinition"
import { EventIds } from "@tessera/envelope/EventIds"
import * as Payload from "@tessera/envelope/Payload"
import * as TestDatabase from "@tessera/test-harness/TestDatabase"
import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import * as ProgressConsumer from "../src/consumers/ProgressConsumer.ts"
import { CRM_FIRST_WIN_ID } from "../src/domain/CrmFirstWin.ts"
import * as LearningApp from "../src/LearningApp.ts"
import { installBuiltInTracks } from "../src/seed.ts"
import { Progression } from "../src/services/Progression.ts"

const TestLayer = Layer.mergeAll(LearningApp.services, Outbox.layer(registry)).pipe(
  Layer.provideMerge(Layer.mergeAll(DispatchMigrations.layer, LearningApp.migrations)),
  Layer.provideMerge(TestDatabase.layer())
)

interface Delivery {
  readonly definition: AnyEventDefinition
  readonly envelope: DecodedEnvelope<unknown>
}

/** An envelope as a worker hands it to a handler, the payload decoded from its JSON form. */
const deliver = <D extends AnyEventDefinition>(
  definition: D,
  json: D["payload"]["Encoded"],
  occurredAt: string,
  actor: DecodedEnvelope<unknown>["actor"] = { type: "user", id: "ada" }
) =>
  Effect.gen(function* () {
    const payload = yield* Payload.decode(definition, json)
    const eventId = yield* Effect.flatMap(EventIds, (ids) => ids.next)
    const envelope: DecodedEnvelope<PayloadOf<D>> = {
      event_id: eventId,
      event_type: definition.type,
      event_version: definition.version,
      occurred_at: occurredAt,
      recorded_at: occurredAt,
      producer: "crm",
      organization_id: "org_crm",
      subject: definition.subject(payload),
      actor,
      correlation_id: `corr_${eventId}`,
      causation_id: null,
      payload
    }
    const delivery: Delivery = { definition, envelope }
    return delivery
  })

const money = { amountMinor: 250_000, currency: "EUR" }
const move = (n: number, at: string) =>
  deliver(
    DealMoved,
    { dealId: "deal_1", pipelineId: "pipe_1", fromStageId: `s${n}`, toStageId: `s${n + 1}`, ownerId: "ada" },
    at
  )

const deliveries = Effect.all([
  deliver(
    PipelineCreated,
    {
      pipelineId: "pipe_1",
      name: "Sales",
      stages: [{ stageId: "s0", name: "Lead", position: 0, probability: 10, isWon: false, isLost: false }]
    },
    "2025-01-20T09:00:00.000Z"
  ),
  deliver(ContactCreated, { contactId: "contact_1", companyId: null, ownerId: "ada" }, "2025-01-20T09:05:00.000Z"),
  deliver(
    DealCreated,
    {
      dealId: "deal_1",
      name: "First deal",
      value: money,
      pipelineId: "pipe_1",
      stageId: "s0",
      ownerId: "ada",
      contactId: "contact_1",
      companyId: null
    },
    "2025-01-20T09:10:00.000Z"
  ),
  move(0, "2025-01-21T09:00:00.000Z"),
  move(1, "2025-01-21T10:00:00.000Z"),
  move(2, "2025-01-22T09:00:00.000Z"),
  deliver(
    DealWon,
    {
      dealId: "deal_1",
      pipelineId: "pipe_1",
      stageId: "s3",
      value: money,
      ownerId: "ada",
      wonSource: null,
      closedAt: "2025-01-22T10:00:00.000Z"
    },
    "2025-01-22T10:00:00.000Z"
  ),
  deliver(
    TaskCompleted,
    {
      taskId: "task_1",
      type: "follow_up",
      assigneeId: "ada",
      dealId: "deal_1",
      contactId: "contact_1",
      completedAt: "2025-01-22T11:00:00.000Z"
    },
    "2025-01-22T11:00:00.000Z"
  )
])

const handleAll = (all: ReadonlyArray<Delivery>) =>
  Effect.forEach(all, ({ definition, envelope }) => ProgressConsumer.handle(definition, envelope))

const emitted = Effect.flatMap(
  SqlClient.SqlClient,
  (sql) => sql<{ event_type: string; producer: string; causation_id: string | null; payload: unknown }>`
    SELECT event_type, producer, causation_id, payload FROM dispatch.events
    WHERE organization_id = 'org_crm' ORDER BY position`
)

layer(TestLayer, { excludeTestServices: true })("CRM events into the learning journey", (it) => {
  it.effect("the CRM first win over three days: completed, 750 XP, both badges; redelivery changes nothing", () =>
    Effect.gen(function* () {
      yield* installBuiltInTracks("org_crm")
      const all = yield* deliveries
      yield* handleAll(all)

      const [progress] = yield* Effect.flatMap(Progression, (p) => p.progress("org_crm", "ada", CRM_FIRST_WIN_ID))
      assert.strictEqual(progress?.status, "completed")
      assert.deepStrictEqual(progress?.streak, { current: 3, longest: 3, lastActiveDay: "2025-01-22" })
      assert.strictEqual(progress?.xp, 500 + 200 + 50)
      assert.deepStrictEqual(progress?.badges, ["crm-first-win", "crm-streak-3"])

      const events = yield* emitted
      assert.deepStrictEqual(
        events.map((event) => event.event_type),
        [
          "onboarding.started",
          "onboarding.step_completed",
          "onboarding.step_completed",
          "onboarding.step_completed",
          "onboarding.step_completed",
          "onboarding.step_completed",
          "onboarding.step_completed",
          "onboarding.completed"
        ]
      )
      assert.isTrue(events.every((event) => event.producer === "learning"))
      assert.strictEqual(events.at(-1)?.causation_id, all.at(-1)?.envelope.event_id, "caused by the follow-up")
      assert.deepStrictEqual(events.at(-1)?.payload, {
        trackId: CRM_FIRST_WIN_ID,
        learnerId: "ada",
        xp: 750,
        badges: ["crm-first-win", "crm-streak-3"],
        completedAt: "2025-01-22T11:00:00.000Z"
      })

      // At-least-once delivery: the same envelopes again.
      const again = yield* handleAll(all)
      assert.isTrue(again.every((result) => result?.duplicate === true && result.emissions.length === 0))
      assert.strictEqual((yield* emitted).length, events.length)
      const [after] = yield* Effect.flatMap(Progression, (p) => p.progress("org_crm", "ada", CRM_FIRST_WIN_ID))
      assert.deepStrictEqual(after, progress)
    })
  )

  it.effect("events of services and the system advance nobody", () =>
    Effect.gen(function* () {
      yield* installBuiltInTracks("org_crm")
      const system = yield* deliver(
        ContactCreated,
        { contactId: "contact_9", companyId: null, ownerId: "ada" },
        "2025-01-20T09:00:00.000Z",
        { type: "system", id: "importer" }
      )
      assert.isUndefined(yield* ProgressConsumer.handle(system.definition, system.envelope))
      const [progress] = yield* Effect.flatMap(Progression, (p) => p.progress("org_crm", "importer", CRM_FIRST_WIN_ID))
      assert.strictEqual(progress?.status, "not_started")
    })
  )
})
