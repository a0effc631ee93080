/**
 * The CRM events as the dispatcher delivers them (envelopes with decoded payloads), handled the
 * way the learning journey's consumer handles them: progress for the acting user, onboarding
 * events published with the delivered event as their cause, nothing twice.
 */
import { assert, layer } from "@effect/vitest"
import * as CrmEvents from "@tessera/contracts/crm/Events"
import type { DecodedEnvelope } from "@tessera/envelope/Envelope"
import type { AnyEventDefinition, PayloadOf } from "@tessera/envelope/EventDefinition"
import { EventIds } from "@tessera/envelope/EventIds"
import * as Payload from "@tessera/envelope/Payload"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import * as ProgressConsumer from "../src/consumers/ProgressConsumer.ts"
import { CRM_FIRST_WIN_ID } from "../src/domain/CrmFirstWin.ts"
import { installBuiltInTracks } from "../src/seed.ts"
import { Progression } from "../src/services/Progression.ts"
import * as FirstWin from "./support/FirstWin.ts"
import { type JourneyEvent, journeyEvent } from "./support/FirstWin.ts"
import { WithServices } from "./support/LearningTestLayer.ts"

const TestLayer = WithServices

interface Delivery {
  readonly definition: AnyEventDefinition
  readonly envelope: DecodedEnvelope<unknown>
}

/** An envelope as a worker hands it to a handler, the payload decoded from its JSON form. */
const deliver = (event: JourneyEvent, actor: DecodedEnvelope<unknown>["actor"] = { type: "user", id: "ada" }) =>
  envelopeOf(event.definition, event.json, event.occurredAt, actor)

const envelopeOf = <D extends AnyEventDefinition>(
  definition: D,
  json: unknown,
  occurredAt: string,
  actor: DecodedEnvelope<unknown>["actor"]
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

const deliveries = Effect.forEach(
  FirstWin.firstWin({
    learner: "ada",
    ids: "1",
    at: [
      "2025-01-20T09:00:00.000Z",
      "2025-01-20T09:05:00.000Z",
      "2025-01-20T09:10:00.000Z",
      "2025-01-21T09:00:00.000Z",
      "2025-01-21T10:00:00.000Z",
      "2025-01-22T09:00:00.000Z",
      "2025-01-22T10:00:00.000Z",
      "2025-01-22T11:00:00.000Z"
    ]
  }),
  (event) => deliver(event)
)

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
        journeyEvent(
          CrmEvents.ContactCreated,
          { contactId: "contact_9", companyId: null, ownerId: "ada" },
          "2025-01-20T09:00:00.000Z"
        ),
        { type: "system", id: "importer" }
      )
      assert.isUndefined(yield* ProgressConsumer.handle(system.definition, system.envelope))
      const [progress] = yield* Effect.flatMap(Progression, (p) => p.progress("org_crm", "importer", CRM_FIRST_WIN_ID))
      assert.strictEqual(progress?.status, "not_started")
    })
  )
})
