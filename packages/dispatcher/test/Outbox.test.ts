import { PgClient } from "@effect/sql-pg"
import { assert, layer } from "@effect/vitest"
import { EventSink } from "@tessera/envelope/EventSink"
import { Effect, Option, Queue } from "effect"
import { SqlClient } from "effect/sql"
import * as Worker from "../src/Worker.ts"
import { billing } from "./fixtures/Consumers.ts"
import { LegacyPingV1, OrderNotedV1, OrderPlacedV1, OrderPlacedV2, registry } from "./fixtures/Shop.ts"
import { context, count, event, testLayer, waitFor } from "./fixtures/Support.ts"

const placed = (orderId: string, seq: number) =>
  event(OrderPlacedV2, { orderId, seq, total: { amount: 1000, currency: "EUR" } })

layer(testLayer(), { excludeTestServices: true })("Outbox", (it) => {
  it.effect("atomicity: the producer's transaction rolls back → no event; it commits → the event is delivered", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const sink = yield* EventSink
        yield* Worker.run(billing(), { registry, pollInterval: "200 millis" })

        yield* sql`CREATE TABLE orders (id text PRIMARY KEY)`
        const failed = yield* sql
          .withTransaction(
            Effect.gen(function* () {
              yield* sql`INSERT INTO orders (id) VALUES ('rolled-back')`
              yield* sink.publish([placed("rolled-back", 1)], context)
              return yield* Effect.fail("the handler failed after emitting")
            })
          )
          .pipe(Effect.flip)
        assert.strictEqual(failed, "the handler failed after emitting")
        assert.strictEqual(yield* count("SELECT 1 FROM orders"), 0)
        assert.strictEqual(yield* count("SELECT 1 FROM dispatch.events"), 0)
        assert.strictEqual(yield* count("SELECT 1 FROM dispatch.deliveries"), 0)

        const [eventId] = yield* sql.withTransaction(
          Effect.gen(function* () {
            yield* sql`INSERT INTO orders (id) VALUES ('committed')`
            return yield* sink.publish([placed("committed", 1)], context)
          })
        )
        yield* waitFor(
          "the committed event's effect",
          Effect.map(count("SELECT 1 FROM effects"), (n) => n === 1)
        )
        const rows = yield* sql<{ event_id: string; subject: string }>`SELECT event_id::text, subject FROM effects`
        assert.deepStrictEqual(rows, [{ event_id: eventId ?? "", subject: "committed" }])
        assert.strictEqual(yield* count("SELECT 1 FROM dispatch.deliveries"), 0)
        assert.strictEqual(yield* count("SELECT 1 FROM dispatch.inbox WHERE consumer = 'billing.recordOrders'"), 1)
      })
    )
  )

  it.effect("the NOTIFY is sent at commit, not before, and not on rollback", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const pg = yield* PgClient.PgClient
        const sink = yield* EventSink
        const notifications = yield* pg.listen("tessera_dispatch")
        const next = Queue.take(notifications).pipe(Effect.timeoutOption("300 millis"))
        // billing.recordOrders subscribed in the previous test: its deliveries notify it.
        yield* pg
          .withTransaction(Effect.andThen(sink.publish([placed("rb", 1)], context), Effect.fail("rollback")))
          .pipe(Effect.ignore)
        assert.isTrue(Option.isNone(yield* next))
        yield* pg.withTransaction(
          Effect.gen(function* () {
            yield* sink.publish([placed("n1", 1), placed("n2", 1)], context)
            assert.isTrue(Option.isNone(yield* next), "no notification before commit")
          })
        )
        const got = yield* next
        assert.isTrue(Option.isSome(got))
        if (Option.isSome(got)) assert.strictEqual(got.value.payload, "billing.recordOrders")
      })
    )
  )

  it.effect("the payload is validated before it is written: an invalid payload fails and writes nothing", () =>
    Effect.gen(function* () {
      const sink = yield* EventSink
      const before = yield* count("SELECT 1 FROM dispatch.events")
      const error = yield* Effect.flip(
        sink.publish([placed("ok", 1), event(OrderPlacedV2, { orderId: "bad", seq: "x", total: 3 })], context)
      )
      assert.strictEqual(error.reason, "InvalidPayload")
      const excess = yield* Effect.flip(
        sink.publish(
          [event(OrderPlacedV2, { orderId: "o", seq: 1, total: { amount: 1, currency: "EUR" }, extra: true })],
          context
        )
      )
      assert.strictEqual(excess.reason, "InvalidPayload")
      assert.strictEqual(yield* count("SELECT 1 FROM dispatch.events"), before)
    })
  )

  it.effect(
    "lifecycle enforcement: not the producer, a retired version, a deprecated one past its cutover → refused",
    () =>
      Effect.gen(function* () {
        const sink = yield* EventSink
        const before = yield* count("SELECT 1 FROM dispatch.events")
        const notProducer = yield* Effect.flip(sink.publish([placed("o", 1)], { ...context, producer: "billing" }))
        assert.strictEqual(notProducer.reason, "NotProducer")
        const retired = yield* Effect.flip(sink.publish([event(OrderNotedV1, { orderId: "o", note: "n" })], context))
        assert.strictEqual(retired.reason, "Retired")
        const pastCutover = yield* Effect.flip(sink.publish([event(LegacyPingV1, { orderId: "o" })], context))
        assert.strictEqual(pastCutover.reason, "PastCutover")
        assert.strictEqual(yield* count("SELECT 1 FROM dispatch.events"), before)
        // Deprecated but before its cutover: still accepted.
        const ids = yield* sink.publish([event(OrderPlacedV1, { orderId: "o", seq: 1, total: 5 })], context)
        assert.strictEqual(ids.length, 1)
      })
  )

  it.effect("stores a complete v1 envelope with a UUIDv7 id and the emit context", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const sink = yield* EventSink
      const [id] = yield* sink.publish([placed("env", 7)], {
        ...context,
        causationId: "evt_cause",
        traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
      })
      const rows = yield* sql`
        SELECT event_type, event_version, producer, organization_id, subject_type, subject_id, actor_type, actor_id,
          correlation_id, causation_id, traceparent, payload
        FROM dispatch.events WHERE event_id = ${id ?? ""}`
      assert.match(id ?? "", /^[0-9a-f]{8}-[0-9a-f]{4}-7/)
      assert.deepStrictEqual(rows, [
        {
          event_type: "order.placed",
          event_version: 2,
          producer: "shop",
          organization_id: "org_test",
          subject_type: "order",
          subject_id: "env",
          actor_type: "user",
          actor_id: "user_1",
          correlation_id: "corr_1",
          causation_id: "evt_cause",
          traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
          payload: { orderId: "env", seq: 7, total: { amount: 1000, currency: "EUR" } }
        }
      ])
    })
  )
})
