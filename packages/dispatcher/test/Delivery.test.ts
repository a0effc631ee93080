import { assert, layer } from "@effect/vitest"
import { DispatchAdmin } from "@tessera/dispatcher/DispatchAdmin"
import { EventSink } from "@tessera/envelope/EventSink"
import { Deferred, Effect, Exit, Fiber, Ref, Schedule, Scope } from "effect"
import { SqlClient } from "effect/sql"
import * as Consumer from "../src/Consumer.ts"
import * as Worker from "../src/Worker.ts"
import { billing, recordEffect } from "./fixtures/Consumers.ts"
import { OrderPlacedV1, OrderPlacedV2, registry } from "./fixtures/Shop.ts"
import { context, count, event, testLayer, waitFor } from "./fixtures/Support.ts"

const placed = (orderId: string, seq: number) =>
  event(OrderPlacedV2, { orderId, seq, total: { amount: 100, currency: "EUR" } })

const effects = (where = "TRUE") => count(`SELECT 1 FROM effects WHERE ${where}`)

const fast = { registry, pollInterval: "200 millis" } as const

layer(testLayer(), { excludeTestServices: true })("commit-order gap", (it) => {
  it.effect("a transaction that took its position earlier but commits later is still delivered", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const sink = yield* EventSink
        yield* Worker.run(billing(), fast)

        const positionOf = (id: string | undefined) =>
          Effect.map(
            sql<{ position: bigint }>`SELECT position FROM dispatch.events WHERE event_id = ${id ?? ""}`,
            (rows) => rows[0]?.position ?? -1n
          )
        const inserted = yield* Deferred.make<bigint>()
        const commit = yield* Deferred.make<void>()
        // A: publishes first (gets the lower position), then stays open.
        const slow = yield* Effect.forkChild(
          sql.withTransaction(
            Effect.gen(function* () {
              const [id] = yield* sink.publish([placed("gap", 1)], context)
              yield* Deferred.succeed(inserted, yield* positionOf(id))
              yield* Deferred.await(commit)
            })
          )
        )
        const positionA = yield* Deferred.await(inserted)
        // B: publishes after A and commits first; it is delivered while A is still open.
        const [idB] = yield* sink.publish([placed("gap", 2)], context)
        const positionB = yield* positionOf(idB)
        assert.isTrue(
          positionA > 0n && positionA < positionB,
          `A holds the lower position (${positionA} < ${positionB})`
        )
        yield* waitFor(
          "B's effect",
          Effect.map(effects("seq = 2"), (n) => n === 1)
        )
        assert.strictEqual(yield* effects("seq = 1"), 0, "A is not visible before it commits")

        yield* Deferred.succeed(commit, undefined)
        yield* Fiber.join(slow)
        yield* waitFor(
          "A's effect after its late commit",
          Effect.map(effects("seq = 1"), (n) => n === 1)
        )
        assert.strictEqual(yield* effects(), 2)
      })
    )
  )
})

layer(testLayer(), { excludeTestServices: true })("upcasting", (it) => {
  it.effect("upcasting v1 → v2: a consumer written for v2 receives events stored as v1", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const sink = yield* EventSink
        const currencies = Consumer.make({
          name: "billing.currencies",
          domain: "billing",
          handlers: [
            Consumer.on(OrderPlacedV2, (e) =>
              Effect.flatMap(
                SqlClient.SqlClient,
                (sql) => sql`INSERT INTO effects (consumer, event_id, subject, seq, version_seen)
                  VALUES ('currencies', ${e.event_id}, ${`${e.payload.total.currency}:${e.payload.total.amount}`}, ${e.payload.seq}, ${e.event_version})`
              )
            )
          ]
        })
        yield* Worker.run(currencies, fast)
        yield* sink.publish([event(OrderPlacedV1, { orderId: "old", seq: 1, total: 250 })], context)
        yield* sink.publish([placed("new", 2)], context)
        yield* waitFor(
          "both effects",
          Effect.map(effects(), (n) => n === 2)
        )
        const sql = yield* SqlClient.SqlClient
        const rows = yield* sql<{ subject: string; version_seen: number }>`
          SELECT subject, version_seen FROM effects ORDER BY seq`
        assert.deepStrictEqual(rows, [
          { subject: "EUR:250", version_seen: 1 },
          { subject: "EUR:100", version_seen: 2 }
        ])
      })
    )
  )
})

layer(testLayer(), { excludeTestServices: true })("poison messages", (it) => {
  it.effect("poison message: retried with backoff, dead-lettered with its error when exhausted, then replayed", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const sink = yield* EventSink
        const admin = yield* DispatchAdmin
        const broken = yield* Ref.make(true)
        const attempts = yield* Ref.make(0)
        const flaky = Consumer.make({
          name: "billing.flaky",
          domain: "billing",
          retry: Schedule.exponential("10 millis").pipe(Schedule.jittered, Schedule.upTo({ times: 2 })),
          handlers: [
            Consumer.on(OrderPlacedV2, (e) =>
              Effect.gen(function* () {
                if (e.payload.seq === 1) {
                  yield* Ref.update(attempts, (n) => n + 1)
                  if (yield* Ref.get(broken)) return yield* Effect.fail(`card declined for ${e.payload.orderId}`)
                }
                yield* recordEffect("billing.flaky", e.event_id, e.payload.orderId, e.payload.seq)
              })
            )
          ]
        })
        yield* Worker.run(flaky, fast)
        yield* sink.publish([placed("poison", 1)], context)
        yield* waitFor(
          "the dead letter",
          Effect.map(admin.deadLetters({ consumer: "billing.flaky" }), (l) => l.length === 1)
        )
        const [dead] = yield* admin.deadLetters({ consumer: "billing.flaky" })
        assert.strictEqual(dead?.reason, "Exhausted")
        assert.strictEqual(dead?.attempts, 3)
        assert.strictEqual(yield* Ref.get(attempts), 3)
        assert.include(dead?.error ?? "", "card declined for poison")
        assert.strictEqual(yield* effects(), 0)

        // The subject is not blocked forever: its next event is delivered.
        yield* sink.publish([placed("poison", 2)], context)
        yield* waitFor(
          "the next event of the subject",
          Effect.map(effects("seq = 2"), (n) => n === 1)
        )

        const [lag] = yield* admin.lag("billing.flaky")
        assert.strictEqual(lag?.deadLetters, 1)
        assert.strictEqual(lag?.pending, 0)

        yield* Ref.set(broken, false)
        assert.strictEqual(yield* admin.replay({ consumer: "billing.flaky" }), 1)
        yield* waitFor(
          "the replayed event's effect",
          Effect.map(effects("seq = 1"), (n) => n === 1)
        )
        assert.deepStrictEqual(yield* admin.deadLetters({ consumer: "billing.flaky" }), [])
        assert.strictEqual(yield* effects(), 2)
      })
    )
  )

  it.effect("an invalid stored payload, an unknown version and a rejection go to the dead letters at once", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const sink = yield* EventSink
        const admin = yield* DispatchAdmin
        const picky = Consumer.make({
          name: "billing.picky",
          domain: "billing",
          handlers: [
            Consumer.on(OrderPlacedV2, (e) =>
              Effect.gen(function* () {
                if (e.payload.seq === 13) return yield* Consumer.reject("unlucky order")
                yield* recordEffect("billing.picky", e.event_id, e.payload.orderId, e.payload.seq)
              })
            )
          ]
        })
        yield* Worker.run(picky, fast)
        // Written around the outbox, as a foreign or buggy producer would.
        const raw = (id: string, version: number, payload: string) => sql`
          WITH e AS (
            INSERT INTO dispatch.events (event_id, event_type, event_version, producer, organization_id, subject_type,
              subject_id, actor_type, actor_id, correlation_id, occurred_at, recorded_at, payload)
            VALUES (${id}, 'order.placed', ${version}, 'shop', 'org', 'order', 'raw', 'system', 's', 'c', now(), now(), ${payload}::jsonb)
            RETURNING position
          )
          INSERT INTO dispatch.deliveries (consumer, position, subject_key) SELECT 'billing.picky', position, 'order:raw' FROM e`
        yield* raw("019a8f3c-2a10-7cc1-9a55-3d2f7b0e4c11", 2, `{"orderId": "raw", "seq": "not a number"}`)
        yield* raw("019a8f3c-2a10-7cc1-9a55-3d2f7b0e4c12", 7, `{"orderId": "raw", "seq": 1}`)
        yield* sink.publish([placed("unlucky", 13), placed("fine", 1)], context)
        yield* waitFor(
          "three dead letters",
          Effect.map(admin.deadLetters({ consumer: "billing.picky" }), (l) => l.length === 3)
        )
        const dead = yield* admin.deadLetters({ consumer: "billing.picky" })
        assert.deepStrictEqual(dead.map((d) => [d.reason, d.attempts]).sort(), [
          ["InvalidPayload", 1],
          ["Rejected", 1],
          ["UnknownVersion", 1]
        ])
        yield* waitFor(
          "the valid event's effect",
          Effect.map(effects("subject = 'fine'"), (n) => n === 1)
        )
      })
    )
  )
})

layer(testLayer(), { excludeTestServices: true })("wake-up, lag and shutdown", (it) => {
  it.effect("lost wake-up: the LISTEN connection is terminated → polling still delivers", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const sink = yield* EventSink
        yield* Worker.run(billing(), { registry, pollInterval: "300 millis" })
        const listening = sql<{ pid: number }>`
          SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'LISTEN%'`
        yield* waitFor(
          "the LISTEN connection",
          Effect.map(listening, (rows) => rows.length === 1)
        )
        const terminated = yield* sql<{ ok: boolean }>`
          SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
          WHERE datname = current_database() AND query ILIKE 'LISTEN%'`
        assert.deepStrictEqual(terminated, [{ ok: true }])
        yield* sink.publish([placed("lost-wakeup", 1)], context)
        yield* waitFor(
          "delivery without a listener",
          Effect.map(effects("subject = 'lost-wakeup'"), (n) => n === 1)
        )
        // And the listener comes back.
        yield* waitFor(
          "LISTEN re-established",
          Effect.map(listening, (rows) => rows.length === 1)
        )
      })
    )
  )

  it.effect("lag: pending count and age of the oldest undelivered event, back to zero once delivered", () =>
    Effect.gen(function* () {
      const sink = yield* EventSink
      const admin = yield* DispatchAdmin
      // billing.recordOrders is subscribed (previous test) but no worker runs now.
      yield* sink.publish([placed("lag", 1), placed("lag", 2), placed("lag-b", 1)], context)
      yield* Effect.sleep("60 millis")
      const [before] = yield* admin.lag("billing.recordOrders")
      assert.strictEqual(before?.pending, 3)
      assert.isAtLeast(before?.oldestAgeMillis ?? 0, 50)
      yield* Effect.scoped(
        Effect.gen(function* () {
          yield* Worker.run(billing(), fast)
          yield* waitFor(
            "lag drained",
            Effect.map(admin.lag("billing.recordOrders"), ([lag]) => lag?.pending === 0)
          )
        })
      )
      const [after] = yield* admin.lag("billing.recordOrders")
      assert.deepStrictEqual(after, {
        consumer: "billing.recordOrders",
        pending: 0,
        oldestAgeMillis: 0,
        retrying: 0,
        inFlight: 0,
        deadLetters: 0,
        blockedSubjects: 0
      })
    })
  )

  it.effect("graceful shutdown: the in-flight handler finishes, the rest stay pending, nothing is lost", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const sink = yield* EventSink
      const started = yield* Deferred.make<void>()
      const slow = Consumer.make({
        name: "shipping.slow",
        domain: "shipping",
        handlers: [
          Consumer.on(OrderPlacedV2, (e) =>
            Effect.gen(function* () {
              // (Only this test's subject: the new subscription is also owed earlier tests' events.)
              if (e.payload.orderId === "shutdown") yield* Deferred.succeed(started, undefined)
              yield* Effect.sleep("300 millis")
              yield* recordEffect("shipping.slow", e.event_id, e.payload.orderId, e.payload.seq)
            })
          )
        ]
      })
      const scope = yield* Scope.make()
      yield* Worker.run(slow, { ...fast, transactionSize: 1 }).pipe(Scope.provide(scope))
      yield* sink.publish(
        [1, 2, 3, 4].map((seq) => placed("shutdown", seq)),
        context
      )
      yield* Deferred.await(started)
      yield* Scope.close(scope, Exit.void)
      // (A new subscription is also owed the earlier tests' events: count only this test's.)
      const done = yield* count("SELECT 1 FROM effects WHERE consumer = 'shipping.slow' AND subject = 'shutdown'")
      assert.isAtLeast(done, 1, "the in-flight handler committed before shutdown returned")
      assert.strictEqual(
        yield* count(
          "SELECT 1 FROM dispatch.deliveries WHERE consumer = 'shipping.slow' AND subject_key LIKE '%:shutdown' AND failures = 0 AND abandoned = 0"
        ),
        4 - done,
        "the rest are pending, nothing counted"
      )
      yield* Effect.scoped(
        Effect.gen(function* () {
          yield* Worker.run(slow, fast)
          yield* waitFor(
            "the rest after restart",
            Effect.map(
              count("SELECT 1 FROM effects WHERE consumer = 'shipping.slow' AND subject = 'shutdown'"),
              (n) => n === 4
            )
          )
        })
      )
      const order = yield* sql<{
        seq: number
      }>`SELECT seq FROM effects WHERE consumer = 'shipping.slow' AND subject = 'shutdown' ORDER BY id`
      assert.deepStrictEqual(
        order.map((r) => r.seq),
        [1, 2, 3, 4]
      )
    })
  )
})
