/**
 * The dispatcher's admin contracts through the derived client, against the CRM's real events and a
 * real consumer on the dispatcher: admin-only, 404 for an unknown consumer, lag per consumer, a
 * real dead letter replayed and delivered, a discard that leaves an audit trail.
 */
import { assert, layer } from "@effect/vitest"
import * as ContractApi from "@tessera/contract-kit/ContractApi"
import { catalog as crmCatalog } from "@tessera/contracts/crm/Catalog"
import { ContactCreated } from "@tessera/contracts/crm/Events"
import { catalog } from "@tessera/contracts/dispatch/Catalog"
import { registry } from "@tessera/contracts/registry"
import { CrmApp } from "@tessera/crm/CrmApp"
import * as Consumer from "@tessera/dispatcher/Consumer"
import * as Worker from "@tessera/dispatcher/Worker"
import * as AppTest from "@tessera/test-kit/AppTest"
import { Effect, Layer, Schedule } from "effect"
import { SqlClient } from "effect/sql"
import { OperationsApp } from "../src/OperationsApp.ts"

const DispatchApi = ContractApi.make("dispatch", catalog)
const CrmApi = ContractApi.make("crm", crmCatalog)

const ORG = "org_ops"
const admin = { userId: "ada", organizationId: ORG, roles: ["admin"] }
const user = { userId: "bob", organizationId: ORG, roles: [] }
const otherAdmin = { userId: "eve", organizationId: "org_other", roles: ["admin"] }

/** A consumer that rejects every event while `broken`, so its deliveries go to the dead letters. */
const CHECK = "learning.operationsCheck"
const state = { broken: true, handled: new Set<string>() }
const CheckConsumer = Consumer.make({
  name: CHECK,
  domain: "learning",
  retry: Schedule.recurs(0),
  handlers: [
    Consumer.on(ContactCreated, (event) =>
      state.broken
        ? Consumer.reject(`broken on purpose: ${event.payload.contactId}`)
        : Effect.sync(() => state.handled.add(event.event_id))
    )
  ]
})

const TestLayer = Worker.layer([CheckConsumer], { registry, pollInterval: "100 millis" }).pipe(
  Layer.provideMerge(AppTest.layer([CrmApp, OperationsApp]))
)

const createContact = (firstName: string) =>
  Effect.gen(function* () {
    const crm = yield* AppTest.client(CrmApi, admin)
    return yield* crm.crm["crm.contact.create"]({ payload: { firstName } })
  })

/** Polls `check` every 100 ms until it answers true (bounded: 20 s). */
const eventually = <E, R>(check: Effect.Effect<boolean, E, R>) =>
  check.pipe(
    Effect.filterOrFail((ok) => ok),
    Effect.retry(Schedule.spaced("100 millis")),
    Effect.timeout("20 seconds")
  )

layer(TestLayer, { excludeTestServices: true })("dispatch admin contracts", (it) => {
  it.effect("admin-only: a user is refused with 403, an admin is answered", () =>
    Effect.gen(function* () {
      const asUser = yield* AppTest.client(DispatchApi, user)
      const refused = yield* Effect.flip(asUser.dispatch["dispatch.consumer.list"]({ payload: {} }))
      assert.strictEqual(refused._tag, "Forbidden")
      const refusedReplay = yield* Effect.flip(
        asUser.dispatch["dispatch.deadLetter.replay"]({ payload: { consumer: CHECK } })
      )
      assert.strictEqual(refusedReplay._tag, "Forbidden")
      const anonymous = yield* AppTest.client(DispatchApi)
      const unauthenticated = yield* Effect.flip(anonymous.dispatch["dispatch.event.list"]({ payload: {} }))
      assert.strictEqual(unauthenticated._tag, "Unauthenticated")
      const asAdmin = yield* AppTest.client(DispatchApi, admin)
      const listed = yield* asAdmin.dispatch["dispatch.consumer.list"]({ payload: {} })
      assert.isTrue(listed.items.some((item) => item.consumer === CHECK))
    })
  )

  it.effect("unknown-consumer: every operation naming a consumer that does not exist answers 404", () =>
    Effect.gen(function* () {
      const client = yield* AppTest.client(DispatchApi, admin)
      const tagOf = <A, E extends { readonly _tag: string }, R>(call: Effect.Effect<A, E, R>) =>
        Effect.map(Effect.flip(call), (error) => error._tag)
      const tags = [
        yield* tagOf(client.dispatch["dispatch.consumer.list"]({ payload: { consumer: "nobody" } })),
        yield* tagOf(client.dispatch["dispatch.consumer.activity"]({ payload: { consumer: "nobody" } })),
        yield* tagOf(client.dispatch["dispatch.deadLetter.list"]({ payload: { consumer: "nobody" } })),
        yield* tagOf(client.dispatch["dispatch.deadLetter.get"]({ payload: { consumer: "nobody", position: "1" } })),
        yield* tagOf(client.dispatch["dispatch.deadLetter.replay"]({ payload: { consumer: "nobody" } })),
        yield* tagOf(
          client.dispatch["dispatch.deadLetter.discard"]({
            payload: { consumer: "nobody", positions: ["1"], reason: "not needed" }
          })
        )
      ]
      assert.deepStrictEqual(tags, Array(6).fill("ConsumerNotFound"))
    })
  )

  it.effect(
    "list-consumers-with-lag, replay-delivers: a real dead letter is listed, read, replayed and delivered",
    () =>
      Effect.gen(function* () {
        state.broken = true
        const client = yield* AppTest.client(DispatchApi, admin)
        const contact = yield* createContact("Replay")
        const letter = yield* eventually(
          Effect.map(client.dispatch["dispatch.deadLetter.list"]({ payload: { consumer: CHECK } }), (r) =>
            r.items.some((l) => l.subjectKey.endsWith(contact.id))
          )
        ).pipe(
          Effect.andThen(client.dispatch["dispatch.deadLetter.list"]({ payload: { consumer: CHECK } })),
          Effect.map((r) => r.items.find((l) => l.subjectKey.endsWith(contact.id)))
        )
        assert.isDefined(letter)
        if (letter === undefined) return
        assert.strictEqual(letter.eventType, "contact.created")
        assert.strictEqual(letter.reason, "Rejected")
        assert.include(letter.error, "broken on purpose")

        const lag = yield* client.dispatch["dispatch.consumer.list"]({ payload: { consumer: CHECK } })
        assert.strictEqual(lag.items.length, 1)
        assert.isAtLeast(lag.items[0]?.deadLetters ?? 0, 1)
        assert.include(lag.items[0]?.eventTypes ?? [], "contact.created")

        const detail = yield* client.dispatch["dispatch.deadLetter.get"]({
          payload: { consumer: CHECK, position: letter.position }
        })
        assert.strictEqual(detail.event.eventId, letter.eventId)
        assert.deepStrictEqual(detail.event.payload, { contactId: contact.id, companyId: null, ownerId: "ada" })

        // Another organization's admin does not see it, and cannot replay it.
        const other = yield* AppTest.client(DispatchApi, otherAdmin)
        const hidden = yield* Effect.flip(
          other.dispatch["dispatch.deadLetter.get"]({ payload: { consumer: CHECK, position: letter.position } })
        )
        assert.strictEqual(hidden._tag, "DeadLetterNotFound")
        const none = yield* other.dispatch["dispatch.deadLetter.replay"]({
          payload: { consumer: CHECK, positions: [letter.position] }
        })
        assert.strictEqual(none.replayed, 0)

        state.broken = false
        const replayed = yield* client.dispatch["dispatch.deadLetter.replay"]({
          payload: { consumer: CHECK, positions: [letter.position] }
        })
        assert.strictEqual(replayed.replayed, 1)
        yield* eventually(Effect.sync(() => state.handled.has(letter.eventId)))
        const after = yield* client.dispatch["dispatch.deadLetter.list"]({ payload: { consumer: CHECK } })
        assert.isFalse(after.items.some((l) => l.position === letter.position))
        const event = yield* eventually(
          Effect.map(client.dispatch["dispatch.event.get"]({ payload: { eventId: letter.eventId } }), (r) =>
            r.deliveries.some((d) => d.consumer === CHECK && d.state === "handled")
          )
        ).pipe(Effect.andThen(client.dispatch["dispatch.event.get"]({ payload: { eventId: letter.eventId } })))
        const delivery = event.deliveries.find((d) => d.consumer === CHECK)
        assert.strictEqual(delivery?.state, "handled")
        assert.isNotNull(delivery?.handledAt ?? null)
      })
  )

  it.effect(
    "discard-keeps-audit: a discarded dead letter leaves the list, stays listed as discarded, and the call is audited",
    () =>
      Effect.gen(function* () {
        state.broken = true
        const client = yield* AppTest.client(DispatchApi, admin)
        const contact = yield* createContact("Discard")
        yield* eventually(
          Effect.map(client.dispatch["dispatch.deadLetter.list"]({ payload: { consumer: CHECK } }), (r) =>
            r.items.some((l) => l.subjectKey.endsWith(contact.id))
          )
        )
        const listed = yield* client.dispatch["dispatch.deadLetter.list"]({ payload: { consumer: CHECK } })
        const letter = listed.items.find((l) => l.subjectKey.endsWith(contact.id))
        if (letter === undefined) return assert.fail("no dead letter")
        const discarded = yield* client.dispatch["dispatch.deadLetter.discard"]({
          payload: { consumer: CHECK, positions: [letter.position], reason: "test contact, never to be delivered" }
        })
        assert.strictEqual(discarded.discarded, 1)
        const live = yield* client.dispatch["dispatch.deadLetter.list"]({ payload: { consumer: CHECK } })
        assert.isFalse(live.items.some((l) => l.position === letter.position))
        const all = yield* client.dispatch["dispatch.deadLetter.list"]({
          payload: { consumer: CHECK, includeDiscarded: true }
        })
        const kept = all.items.find((l) => l.position === letter.position)
        assert.strictEqual(kept?.status, "discarded")
        assert.include(kept?.discardReason ?? "", "test contact, never to be delivered")
        assert.include(kept?.discardReason ?? "", "ada")
        // A discarded dead letter is never replayed.
        const replayed = yield* client.dispatch["dispatch.deadLetter.replay"]({
          payload: { consumer: CHECK, positions: [letter.position] }
        })
        assert.strictEqual(replayed.replayed, 0)
        const sql = yield* SqlClient.SqlClient
        const audit = yield* sql<{ actor_id: string; input: { reason: string } }>`
        SELECT actor_id, input FROM contract_kit.audit_log
        WHERE contract_key = 'dispatch.deadLetter.discard' AND organization_id = ${ORG}`
        assert.strictEqual(audit.length, 1)
        assert.strictEqual(audit[0]?.actor_id, "ada")
        assert.strictEqual(audit[0]?.input.reason, "test contact, never to be delivered")
      })
  )

  it.effect("events by correlation id, one event's deliveries, and the flow with its request", () =>
    Effect.gen(function* () {
      state.broken = false
      const client = yield* AppTest.client(DispatchApi, admin)
      const contact = yield* createContact("Flow")
      const events = yield* client.dispatch["dispatch.event.list"]({
        payload: { type: "contact.created", subject: contact.id }
      })
      assert.strictEqual(events.items.length, 1)
      const event = events.items[0]
      if (event === undefined) return
      assert.strictEqual(events.lastPosition, event.position)
      const flow = yield* eventually(
        Effect.map(client.dispatch["dispatch.flow.get"]({ payload: { correlationId: event.correlationId } }), (f) =>
          f.events.some((e) => e.deliveries.some((d) => d.consumer === CHECK && d.state === "handled"))
        )
      ).pipe(Effect.andThen(client.dispatch["dispatch.flow.get"]({ payload: { correlationId: event.correlationId } })))
      assert.deepStrictEqual(
        flow.requests.map((r) => r.contractKey),
        ["crm.contact.create"]
      )
      assert.deepStrictEqual(flow.requests[0]?.eventIds, [event.eventId])
      assert.deepStrictEqual(
        flow.events.map((e) => e.event.eventType),
        ["contact.created"]
      )
      const following = yield* client.dispatch["dispatch.event.list"]({ payload: { after: event.position } })
      assert.isFalse(following.items.some((e) => e.position === event.position))
      const foreign = yield* Effect.flip(
        (yield* AppTest.client(DispatchApi, otherAdmin)).dispatch["dispatch.event.get"]({
          payload: { eventId: event.eventId }
        })
      )
      assert.strictEqual(foreign._tag, "EventNotFound")
      const activity = yield* client.dispatch["dispatch.consumer.activity"]({ payload: { consumer: CHECK } })
      assert.isTrue(activity.items.some((b) => b.consumer === CHECK && b.handled >= 1))
    })
  )
})
