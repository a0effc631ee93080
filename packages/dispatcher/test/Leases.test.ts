import { assert, layer } from "@effect/vitest"
import { DispatchAdmin } from "@tessera/dispatcher/DispatchAdmin"
import { EventSink } from "@tessera/envelope/EventSink"
import { Effect, Schedule } from "effect"
import * as Consumer from "../src/Consumer.ts"
import * as Worker from "../src/Worker.ts"
import { recordEffect } from "./fixtures/Consumers.ts"
import { OrderPlacedV2, registry } from "./fixtures/Shop.ts"
import { context, count, event, testLayer, waitFor } from "./fixtures/Support.ts"

const placed = (orderId: string, seq: number) =>
  event(OrderPlacedV2, { orderId, seq, total: { amount: 100, currency: "EUR" } })

layer(testLayer(), { excludeTestServices: true })("leases and handler timeouts", (it) => {
  it.effect(
    "slow handler (2 s per event, claim size 256) → nothing dead-lettered, each event's effect exactly once",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          const sink = yield* EventSink
          const admin = yield* DispatchAdmin
          const slow = Consumer.make({
            name: "billing.slow",
            domain: "billing",
            handlers: [
              Consumer.on(OrderPlacedV2, (e) =>
                Effect.gen(function* () {
                  yield* Effect.sleep("2 seconds")
                  yield* recordEffect("billing.slow", e.event_id, e.payload.orderId, e.payload.seq)
                })
              )
            ]
          })
          const events = 6
          yield* sink.publish(
            Array.from({ length: events }, (_, i) => placed(`slow-${i}`, 1)),
            context
          )
          // One lane claims all six at once; its 5 s lease covers two 2 s handlers at most, so it
          // must give the rest back rather than let them expire.
          yield* Worker.run(slow, {
            registry,
            claimSize: 256,
            concurrency: 1,
            transactionSize: 16,
            leaseDuration: "5 seconds",
            handlerTimeout: "3 seconds",
            pollInterval: "100 millis"
          })
          yield* waitFor(
            "every slow event",
            Effect.map(count("SELECT 1 FROM effects WHERE consumer = 'billing.slow'"), (n) => n === events),
            "60 seconds"
          )
          yield* Effect.sleep("1 second")
          assert.strictEqual(
            yield* count("SELECT 1 FROM effects WHERE consumer = 'billing.slow'"),
            events,
            "each event's effect exactly once"
          )
          assert.deepStrictEqual(yield* admin.deadLetters({ consumer: "billing.slow" }), [])
          assert.strictEqual(yield* count("SELECT 1 FROM dispatch.deliveries WHERE consumer = 'billing.slow'"), 0)
        })
      ),
    60_000
  )

  it.effect(
    "a handler that hangs inside its transaction is interrupted by its timeout, retried, and dead-lettered as timed out; its subject's neighbours keep flowing",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          const sink = yield* EventSink
          const admin = yield* DispatchAdmin
          const hanging = Consumer.make({
            name: "billing.hanging",
            domain: "billing",
            retry: Schedule.spaced("50 millis").pipe(Schedule.upTo({ times: 2 })),
            handlers: [
              Consumer.on(OrderPlacedV2, (e) =>
                Effect.gen(function* () {
                  yield* recordEffect("billing.hanging", e.event_id, e.payload.orderId, e.payload.seq)
                  if (e.payload.orderId === "hung") yield* Effect.never
                })
              )
            ]
          })
          yield* Worker.run(hanging, {
            registry,
            concurrency: 2,
            leaseDuration: "3 seconds",
            handlerTimeout: "500 millis",
            pollInterval: "100 millis"
          })
          yield* sink.publish(
            [placed("hung", 1), ...Array.from({ length: 20 }, (_, i) => placed(`fine-${i}`, 1))],
            context
          )
          yield* waitFor(
            "the hung event's dead letter",
            Effect.map(admin.deadLetters({ consumer: "billing.hanging" }), (l) => l.length === 1),
            "30 seconds"
          )
          const [dead] = yield* admin.deadLetters({ consumer: "billing.hanging" })
          assert.strictEqual(dead?.reason, "TimedOut")
          assert.strictEqual(dead?.failures, 3)
          assert.strictEqual(dead?.abandoned, 0)
          assert.match(dead?.error ?? "", /^timed out: failed 3 time\(s\)/)
          assert.strictEqual(
            yield* count("SELECT 1 FROM effects WHERE consumer = 'billing.hanging' AND subject LIKE 'fine-%'"),
            20
          )
          assert.strictEqual(
            yield* count("SELECT 1 FROM effects WHERE consumer = 'billing.hanging' AND subject = 'hung'"),
            0,
            "every hung attempt rolled back"
          )
        })
      ),
    60_000
  )
})
