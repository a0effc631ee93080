import { assert, layer } from "@effect/vitest"
import { EventSink } from "@tessera/envelope/EventSink"
import { Deferred, Effect, Fiber } from "effect"
import { SqlClient } from "effect/sql"
import * as Worker from "../src/Worker.ts"
import { billing } from "./fixtures/Consumers.ts"
import { OrderPlacedV2, registry } from "./fixtures/Shop.ts"
import { context, count, event, testLayer, waitFor } from "./fixtures/Support.ts"

const placed = (orderId: string, seq: number) =>
  event(OrderPlacedV2, { orderId, seq, total: { amount: 100, currency: "EUR" } })

const effects = count("SELECT 1 FROM effects")
const fast = { registry, pollInterval: "200 millis" } as const

layer(testLayer(), { excludeTestServices: true })("new subscriptions", (it) => {
  it.effect("events published before a consumer ever started are delivered when it first starts", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const sink = yield* EventSink
        // The producer runs first: nobody has subscribed yet.
        yield* sink.publish([placed("early-1", 1), placed("early-2", 1)], context)
        yield* sink.publish([placed("early-1", 2)], context)
        yield* Worker.run(billing(), fast)
        yield* waitFor(
          "the three earlier events",
          Effect.map(effects, (n) => n === 3)
        )
        // A restart registers nothing new and delivers nothing twice.
        yield* Worker.run(billing(), fast)
        yield* sink.publish([placed("later", 1)], context)
        yield* waitFor(
          "the later event",
          Effect.map(effects, (n) => n === 4)
        )
      })
    )
  )

  it.effect("a publish in flight while the subscription is registered is neither lost nor delivered twice", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const sink = yield* EventSink
        yield* sql`DELETE FROM effects`
        yield* sql`DELETE FROM dispatch.subscriptions WHERE consumer = 'billing.recordOrders'`
        const inserted = yield* Deferred.make<void>()
        const commit = yield* Deferred.make<void>()
        // A publishing transaction that read "no subscribers" and has not committed yet.
        const open = yield* Effect.forkChild(
          sql.withTransaction(
            Effect.gen(function* () {
              yield* sink.publish([placed("racing", 1)], context)
              yield* Deferred.succeed(inserted, undefined)
              yield* Deferred.await(commit)
            })
          )
        )
        yield* Deferred.await(inserted)
        // The registration waits for the open publish; let it commit shortly after.
        const starting = yield* Effect.forkChild(Worker.run(billing(), fast))
        yield* Effect.sleep("300 millis")
        yield* Deferred.succeed(commit, undefined)
        yield* Fiber.join(open)
        yield* Fiber.join(starting)
        yield* waitFor(
          "the racing event",
          Effect.map(count("SELECT 1 FROM effects WHERE subject = 'racing'"), (n) => n === 1)
        )
        const deliveries = yield* count(
          "SELECT 1 FROM dispatch.inbox i JOIN dispatch.events e ON e.event_id = i.event_id WHERE e.payload->>'orderId' = 'racing'"
        )
        assert.strictEqual(deliveries, 1)
      })
    )
  )
})
