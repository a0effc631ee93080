import { assert, layer } from "@effect/vitest"
import { EventSink } from "@tessera/envelope/EventSink"
import { TestDatabase } from "@tessera/test-harness/TestDatabase"
import { Duration, Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import * as Consumer from "../src/Consumer.ts"
import * as Worker from "../src/Worker.ts"
import { OrderPlacedV2, registry } from "./fixtures/Shop.ts"
import { context, count, event, testLayer, waitFor } from "./fixtures/Support.ts"

const deadlocks = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql<{ readonly n: number }>`SELECT deadlocks::int AS n FROM pg_stat_database WHERE datname = current_database()`.pipe(
    Effect.map((rows) => rows[0]?.n ?? 0)
  )
)

/**
 * Each event updates one account row (as the learning consumer upserts a learner's progress) and
 * keeps its lock a moment. Subjects (deals) come in blocks of 8 (a lane's claim takes the heads
 * of 8 subjects in order): in even blocks the first four touch x and the last four y, in odd
 * blocks the other way round. Two lanes holding a block's locks in one transaction each would
 * take x and y in opposite orders and deadlock.
 */
const accounts = Consumer.make({
  name: "billing.accounts",
  domain: "billing",
  handlers: [
    Consumer.on(OrderPlacedV2, (e) =>
      Effect.flatMap(SqlClient.SqlClient, (sql) => {
        const subject = Number(e.payload.orderId.slice(1))
        const block = Math.floor(subject / 8)
        const row = subject % 8 < 4 === (block % 2 === 0) ? "x" : "y"
        return sql`UPDATE accounts SET n = n + 1 WHERE id = ${row}`.pipe(Effect.andThen(sql`SELECT pg_sleep(0.005)`))
      })
    )
  ]
})

layer(testLayer(), { excludeTestServices: true })("deadlocks", (it) => {
  it.effect(
    "two lanes whose events touch the same rows in opposite order → 0 deadlocks (pg_stat_database.deadlocks before and after)",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          const sql = yield* SqlClient.SqlClient
          const sink = yield* EventSink
          yield* sql`CREATE TABLE accounts (id text PRIMARY KEY, n integer NOT NULL)`
          yield* sql`INSERT INTO accounts VALUES ('x', 0), ('y', 0)`
          const before = yield* deadlocks
          const subjects = 40
          const per = 10
          // Published before the workers start: every claim finds heads of many subjects.
          for (let seq = 1; seq <= per; seq++) {
            yield* sink.publish(
              Array.from({ length: subjects }, (_, k) =>
                event(OrderPlacedV2, { orderId: `s${k}`, seq, total: { amount: 1, currency: "EUR" } })
              ),
              context
            )
          }
          // Two lanes, each with its own claims and batched transactions of up to 8 events, on a
          // pool of their own: closing it ends the backends, which reports their statistics.
          yield* Effect.scoped(
            Effect.gen(function* () {
              const database = yield* TestDatabase
              const pool = yield* Layer.build(
                Worker.poolLayer(
                  { url: database.url },
                  {
                    size: 6,
                    statementTimeout: Duration.seconds(10),
                    lockTimeout: Duration.seconds(5),
                    idleInTransactionTimeout: Duration.seconds(10)
                  }
                ).pipe(Layer.orDie)
              )
              yield* Worker.run(accounts, {
                registry,
                concurrency: 2,
                claimSize: 8,
                transactionSize: 8,
                pollInterval: "100 millis"
              }).pipe(Effect.provide(pool))
              yield* waitFor(
                "every event",
                Effect.map(
                  count("SELECT 1 FROM dispatch.inbox WHERE consumer = 'billing.accounts'"),
                  (n) => n === subjects * per
                ),
                "60 seconds"
              )
            })
          )
          const totals = yield* sql<{ id: string; n: number }>`SELECT id, n FROM accounts ORDER BY id`
          assert.deepStrictEqual(totals, [
            { id: "x", n: (subjects * per) / 2 },
            { id: "y", n: (subjects * per) / 2 }
          ])
          assert.strictEqual(yield* count("SELECT 1 FROM dispatch.dead_letters"), 0)
          // Backends report their statistics when idle (at most once a second) and when they exit.
          yield* Effect.sleep("1500 millis")
          yield* sql`SELECT pg_stat_force_next_flush()`
          assert.strictEqual((yield* deadlocks) - before, 0)
        })
      ),
    60_000
  )
})
