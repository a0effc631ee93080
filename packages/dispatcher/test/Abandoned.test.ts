import { assert, layer } from "@effect/vitest"
import { DispatchAdmin } from "@tessera/dispatcher/DispatchAdmin"
import { EventSink } from "@tessera/envelope/EventSink"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import * as Worker from "../src/Worker.ts"
import { billing } from "./fixtures/Consumers.ts"
import { OrderPlacedV2, registry } from "./fixtures/Shop.ts"
import { context, count, event, testLayer, waitFor } from "./fixtures/Support.ts"

const placed = (orderId: string, seq: number) =>
  event(OrderPlacedV2, { orderId, seq, total: { amount: 100, currency: "EUR" } })

const fast = { registry, pollInterval: "200 millis", maxAbandoned: 3 } as const
const effectsOf = (subject: string) => count(`SELECT 1 FROM effects WHERE subject = '${subject}'`)

layer(testLayer(), { excludeTestServices: true })("abandoned deliveries", (it) => {
  it.effect(
    "an event whose handler keeps crashing its process goes to the dead letters instead of looping, and can be replayed",
    () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const sink = yield* EventSink
        const admin = yield* DispatchAdmin
        // Register the subscription, then stop: the consumer's process is "down".
        yield* Effect.scoped(Worker.run(billing(), fast))
        yield* sink.publish([placed("poison", 1), placed("survivor", 1)], context)
        // As after lanes whose process died mid-handler (poison: two before, and this third one;
        // survivor: one before): each lane's record names the one event it held, its transaction
        // aborted (the connection died with the process) and its lease is over.
        yield* sql`
          UPDATE dispatch.deliveries d SET abandoned = CASE WHEN e.payload->>'orderId' = 'poison' THEN 2 ELSE 1 END,
            isolate = true
          FROM dispatch.events e WHERE e.position = d.position AND d.consumer = 'billing.recordOrders'`
        const aborted = yield* Effect.flip(
          sql.withTransaction(
            Effect.flatMap(sql<{ readonly xid: string }>`SELECT pg_current_xact_id()::text AS xid`, ([row]) =>
              Effect.fail(row?.xid ?? "")
            )
          )
        )
        yield* sql`
          INSERT INTO dispatch.handling (lane, consumer, xid, positions, expires_at)
          SELECT 'dead-lane-' || d.position, d.consumer, ${aborted}::xid8, ARRAY[d.position], now() - interval '1 second'
          FROM dispatch.deliveries d WHERE d.consumer = 'billing.recordOrders'`

        yield* Effect.scoped(
          Effect.gen(function* () {
            yield* Worker.run(billing(), fast)
            // Below the limit: claimed again and handled.
            yield* waitFor(
              "the survivor",
              Effect.map(effectsOf("survivor"), (n) => n === 1)
            )
          })
        )
        assert.strictEqual(yield* effectsOf("poison"), 0, "the abandoned event was not handled again")
        const dead = yield* admin.deadLetters({ consumer: "billing.recordOrders" })
        assert.strictEqual(dead.length, 1)
        assert.strictEqual(dead[0]?.reason, "Abandoned")
        assert.strictEqual(dead[0]?.abandoned, 3)
        assert.strictEqual(dead[0]?.failures, 0)
        assert.match(dead[0]?.error ?? "", /lease expired 3 time\(s\) while it was being handled/)
        assert.strictEqual(yield* count("SELECT 1 FROM dispatch.deliveries WHERE consumer = 'billing.recordOrders'"), 0)

        // Once the handler is fixed, the operator replays it.
        assert.strictEqual(yield* admin.replay({ consumer: "billing.recordOrders" }), 1)
        yield* Effect.scoped(
          Effect.gen(function* () {
            yield* Worker.run(billing(), fast)
            yield* waitFor(
              "the replayed event",
              Effect.map(effectsOf("poison"), (n) => n === 1)
            )
          })
        )
      })
  )
})
