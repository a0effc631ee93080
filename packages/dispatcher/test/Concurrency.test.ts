import { PgClient } from "@effect/sql-pg"
import { assert, layer } from "@effect/vitest"
import { EventSink } from "@tessera/envelope/EventSink"
import { TestDatabase } from "@tessera/test-harness/TestDatabase"
import { Effect, Layer, Schedule } from "effect"
import { SqlClient } from "effect/sql"
import * as Consumer from "../src/Consumer.ts"
import * as Worker from "../src/Worker.ts"
import { recordEffect } from "./fixtures/Consumers.ts"
import { OrderPlacedV2, registry } from "./fixtures/Shop.ts"
import { context, count, event, testLayer, waitFor } from "./fixtures/Support.ts"

const WORKERS = 4
const SUBJECTS = 40
const PER_SUBJECT = 40
const EVENTS = SUBJECTS * PER_SUBJECT

/** A consumer that fails a tenth of first attempts (transient) and takes a little time. */
const flaky = (name: string, domain: string, worker: string) =>
  Consumer.make({
    name,
    domain,
    retry: Schedule.spaced("5 millis").pipe(Schedule.upTo({ times: 20 })),
    handlers: [
      Consumer.on(OrderPlacedV2, (e) =>
        Effect.gen(function* () {
          if (e.attempt === 1 && Math.random() < 0.1) return yield* Effect.fail("transient failure")
          if (Math.random() < 0.2) yield* Effect.sleep("1 millis")
          yield* recordEffect(name, e.event_id, e.payload.orderId, e.payload.seq, worker)
        })
      )
    ]
  })

layer(testLayer(), { excludeTestServices: true })("concurrency", (it) => {
  it.effect(
    `${WORKERS} workers (separate pools) × ${EVENTS} events over ${SUBJECTS} subjects, two consumers → no double effect, per-subject order kept`,
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          const sql = yield* SqlClient.SqlClient
          const sink = yield* EventSink
          const database = yield* TestDatabase
          for (let w = 0; w < WORKERS; w++) {
            // Each worker has its own pool, as a separate process would.
            const pool = yield* Layer.build(PgClient.layer({ url: database.url, maxConnections: 6 }).pipe(Layer.orDie))
            const options: Worker.Options = {
              registry,
              pollInterval: "100 millis",
              claimSize: 32,
              concurrency: 3,
              transactionSize: 4
            }
            yield* Worker.run(flaky("billing.recordOrders", "billing", `w${w}`), options).pipe(Effect.provide(pool))
            if (w < 2)
              yield* Worker.run(flaky("shipping.prepare", "shipping", `w${w}`), options).pipe(Effect.provide(pool))
          }
          // Publish in batches, subjects interleaved, each subject's seq increasing.
          const all = Array.from({ length: EVENTS }, (_, i) => ({
            orderId: `order-${i % SUBJECTS}`,
            seq: Math.floor(i / SUBJECTS) + 1
          }))
          for (let i = 0; i < all.length; i += 80) {
            yield* sink.publish(
              all.slice(i, i + 80).map((p) => event(OrderPlacedV2, { ...p, total: { amount: 1, currency: "EUR" } })),
              context
            )
          }
          yield* waitFor(
            "every event handled by both consumers",
            Effect.map(count("SELECT 1 FROM effects"), (n) => n >= 2 * EVENTS),
            "120 seconds"
          )
          assert.strictEqual(yield* count("SELECT 1 FROM effects"), 2 * EVENTS)
          assert.strictEqual(
            yield* count("SELECT consumer, event_id FROM effects GROUP BY consumer, event_id HAVING count(*) > 1"),
            0,
            "no double effect"
          )
          const outOfOrder = yield* sql<{ consumer: string; subject: string }>`
            SELECT consumer, subject FROM (
              SELECT consumer, subject, seq, lag(seq) OVER (PARTITION BY consumer, subject ORDER BY id) AS previous
              FROM effects
            ) s WHERE previous IS NOT NULL AND seq <> previous + 1`
          assert.deepStrictEqual(outOfOrder, [], "each subject's events handled in order")
          assert.isAbove(
            yield* count("SELECT DISTINCT worker FROM effects WHERE consumer = 'billing.recordOrders'"),
            1,
            "several workers shared the work"
          )
          assert.strictEqual(yield* count("SELECT 1 FROM dispatch.inbox"), 2 * EVENTS)
          assert.strictEqual(yield* count("SELECT 1 FROM dispatch.deliveries"), 0)
          assert.strictEqual(yield* count("SELECT 1 FROM dispatch.dead_letters"), 0)
        })
      ),
    180_000
  )
})
