import { assert, layer } from "@effect/vitest"
import { EventSink } from "@tessera/envelope/EventSink"
import { Effect } from "effect"
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
 * keeps its lock a moment. Subject `a` touches x, y, x, y…; subject `b` touches y, x, y, x…: two
 * lanes (one per subject) holding several events' locks in one transaction would take x and y in
 * opposite orders and deadlock.
 */
const accounts = Consumer.make({
  name: "billing.accounts",
  domain: "billing",
  handlers: [
    Consumer.on(OrderPlacedV2, (e) =>
      Effect.flatMap(SqlClient.SqlClient, (sql) => {
        const even = e.payload.seq % 2 === 0
        const row = (e.payload.orderId === "a") === even ? "x" : "y"
        return sql`UPDATE accounts SET n = n + 1 WHERE id = ${row}`.pipe(Effect.andThen(sql`SELECT pg_sleep(0.01)`))
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
          const per = 40
          // Published before the worker starts: each lane's claims find both subjects' backlogs.
          for (let seq = 1; seq <= per; seq += 10) {
            yield* sink.publish(
              Array.from({ length: 10 }, (_, k) => [
                event(OrderPlacedV2, { orderId: "a", seq: seq + k, total: { amount: 1, currency: "EUR" } }),
                event(OrderPlacedV2, { orderId: "b", seq: seq + k, total: { amount: 1, currency: "EUR" } })
              ]).flat(),
              context
            )
          }
          yield* Worker.run(accounts, { registry, concurrency: 2, claimSize: 16, pollInterval: "100 millis" })
          yield* waitFor(
            "every event",
            Effect.map(count("SELECT 1 FROM dispatch.inbox WHERE consumer = 'billing.accounts'"), (n) => n === 2 * per),
            "60 seconds"
          )
          const totals = yield* sql<{ id: string; n: number }>`SELECT id, n FROM accounts ORDER BY id`
          assert.deepStrictEqual(totals, [
            { id: "x", n: per },
            { id: "y", n: per }
          ])
          assert.strictEqual(yield* count("SELECT 1 FROM dispatch.dead_letters"), 0)
          // Backends report their statistics when idle, at most once a second.
          yield* Effect.sleep("1500 millis")
          yield* sql`SELECT pg_stat_force_next_flush()`
          assert.strictEqual((yield* deadlocks) - before, 0)
        })
      ),
    60_000
  )
})
