import { assert, layer } from "@effect/vitest"
import { EventSink } from "@tessera/envelope/EventSink"
import { Effect, Fiber } from "effect"
import { SqlClient } from "effect/sql"
import * as Worker from "../src/Worker.ts"
import { OrderPlacedV2 } from "./fixtures/Shop.ts"
import { context, count, event, testLayer, waitFor } from "./fixtures/Support.ts"

const STORED = 100_000
const CONSUMER = "billing.backfill"

layer(testLayer(), { excludeTestServices: true })("backfill", (it) => {
  it.effect(
    "a publish with lock_timeout = '1s' succeeds while a backfill of 100k events runs; the backfill copies each event once",
    () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const sink = yield* EventSink
        yield* sql`
          INSERT INTO dispatch.events (event_id, event_type, event_version, producer, organization_id, subject_type,
            subject_id, actor_type, actor_id, correlation_id, occurred_at, recorded_at, payload)
          SELECT gen_random_uuid(), 'order.placed', 2, 'shop', 'org', 'order', 'o' || (g % 1000), 'system', 's', 'c',
            now(), now(), jsonb_build_object('orderId', 'o' || (g % 1000), 'seq', g, 'total', jsonb_build_object('amount', 1, 'currency', 'EUR'))
          FROM generate_series(1, ${STORED}) g`
        const backfill = yield* Effect.forkChild(Worker.subscribe(sql, CONSUMER, ["order.placed"], 1000))
        const progress = sql<{ readonly to: string; readonly through: string }>`
          SELECT backfill_to::text AS to, backfilled_through::text AS through
          FROM dispatch.subscriptions WHERE consumer = ${CONSUMER}`
        yield* waitFor(
          "the copy under way",
          Effect.map(progress, (rows) => rows.length === 1 && rows[0]?.through !== "0"),
          "30 seconds"
        )
        const midway = yield* sql.withTransaction(
          Effect.gen(function* () {
            yield* sql`SET LOCAL lock_timeout = '1s'`
            const [state] = yield* progress
            yield* sink.publish(
              [event(OrderPlacedV2, { orderId: "during", seq: 1, total: { amount: 1, currency: "EUR" } })],
              context
            )
            return state
          })
        )
        assert.isTrue(BigInt(midway?.through ?? "0") < BigInt(midway?.to ?? "0"), "published while the copy ran")
        const copied = yield* Fiber.join(backfill)
        assert.strictEqual(copied, STORED)
        assert.strictEqual(yield* count(`SELECT 1 FROM dispatch.deliveries WHERE consumer = '${CONSUMER}'`), STORED + 1)
        assert.strictEqual(
          yield* count(
            `SELECT 1 FROM dispatch.deliveries d JOIN dispatch.events e USING (position) WHERE d.consumer = '${CONSUMER}' AND e.payload->>'orderId' = 'during'`
          ),
          1,
          "the concurrent publish wrote its own delivery (the subscription was committed)"
        )
        // Idempotent: running it again copies nothing.
        assert.strictEqual(yield* Worker.subscribe(sql, CONSUMER, ["order.placed"], 1000), 0)
      }),
    120_000
  )
})
