import { assert, layer } from "@effect/vitest"
import { DispatchAdmin } from "@tessera/dispatcher/DispatchAdmin"
import { EventSink } from "@tessera/envelope/EventSink"
import { Effect, Ref, Schedule } from "effect"
import { SqlClient } from "effect/sql"
import * as Consumer from "../src/Consumer.ts"
import * as Worker from "../src/Worker.ts"
import { recordEffect } from "./fixtures/Consumers.ts"
import { OrderPlacedV2, registry } from "./fixtures/Shop.ts"
import { context, count, event, testLayer, waitFor } from "./fixtures/Support.ts"

const placed = (orderId: string, seq: number) =>
  event(OrderPlacedV2, { orderId, seq, total: { amount: 100, currency: "EUR" } })

/**
 * Fails the event (`poisoned`, seq 1) while `broken` holds; records every other one. Each test
 * uses its own consumer, and only counts its own subject (a new subscription is also owed the
 * earlier tests' events).
 */
const withPoison = (name: string, order: Consumer.OrderMode, broken: Ref.Ref<boolean>, poisoned: string) =>
  Consumer.make({
    name,
    domain: "billing",
    order,
    retry: Schedule.spaced("10 millis").pipe(Schedule.upTo({ times: 1 })),
    handlers: [
      Consumer.on(OrderPlacedV2, (e) =>
        Effect.gen(function* () {
          if (e.payload.orderId === poisoned && e.payload.seq === 1 && (yield* Ref.get(broken)))
            return yield* Effect.fail("cannot handle seq 1")
          yield* recordEffect(name, e.event_id, e.payload.orderId, e.payload.seq)
        })
      )
    ]
  })

const seqsOf = (name: string, subject: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<{ seq: number }>`SELECT seq FROM effects WHERE consumer = ${name} AND subject = ${subject} ORDER BY id`.pipe(
      Effect.map((rows) => rows.map((r) => r.seq))
    )
  )

const fast = { registry, pollInterval: "100 millis" } as const

layer(testLayer(), { excludeTestServices: true })("order modes after a dead letter", (it) => {
  it.effect(
    "strict: a dead letter blocks its subject (visible in lag, blocked subjects and health) until replayed; then the subject goes on in order",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          const sink = yield* EventSink
          const admin = yield* DispatchAdmin
          const broken = yield* Ref.make(true)
          const name = "billing.strict"
          yield* Worker.run(withPoison(name, "strict", broken, "poisoned"), fast)
          yield* sink.publish(
            [placed("poisoned", 1), placed("poisoned", 2), placed("poisoned", 3), placed("other", 1)],
            context
          )
          yield* waitFor(
            "the dead letter",
            Effect.map(admin.deadLetters({ consumer: name }), (l) => l.length === 1)
          )
          yield* waitFor(
            "the other subject",
            Effect.map(seqsOf(name, "other"), (s) => s.length === 1)
          )
          assert.deepStrictEqual(yield* seqsOf(name, "poisoned"), [], "seq 2 and 3 wait behind the dead seq 1")
          const blocked = yield* admin.blockedSubjects(name)
          assert.deepStrictEqual(
            blocked.map((b) => [b.subjectKey, b.waiting]),
            [["order:poisoned", 2]]
          )
          const [lag] = yield* admin.lag(name)
          assert.strictEqual(lag?.blockedSubjects, 1)
          assert.strictEqual(lag?.deadLetters, 1)
          assert.strictEqual(lag?.pending, 2)
          const health = yield* admin.health({ maxOldestAge: "1 hour", maxDeadLetters: 10 })
          assert.strictEqual(health.status, "degraded")
          assert.include(health.problems.join("\n"), "billing.strict: 1 subject(s) blocked by a dead letter")

          yield* Ref.set(broken, false)
          assert.strictEqual(yield* admin.replay({ consumer: name }), 1)
          yield* waitFor(
            "the subject after replay",
            Effect.map(seqsOf(name, "poisoned"), (s) => s.length === 3)
          )
          assert.deepStrictEqual(yield* seqsOf(name, "poisoned"), [1, 2, 3], "in order")
          assert.deepStrictEqual(yield* admin.blockedSubjects(name), [])
        })
      )
  )

  it.effect("strict: discarding the dead letter (with a reason, kept for audit) unblocks the subject", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const sink = yield* EventSink
        const admin = yield* DispatchAdmin
        const broken = yield* Ref.make(true)
        const name = "billing.strictDiscard"
        yield* Worker.run(withPoison(name, "strict", broken, "poisoned-d"), fast)
        yield* sink.publish([placed("poisoned-d", 1), placed("poisoned-d", 2)], context)
        yield* waitFor(
          "the dead letter",
          Effect.map(admin.deadLetters({ consumer: name }), (l) => l.length === 1)
        )
        const [dead] = yield* admin.deadLetters({ consumer: name })
        assert.strictEqual(
          yield* admin.discard({ consumer: name, positions: [dead?.position ?? 0n], reason: "refunded by hand" }),
          1
        )
        yield* waitFor(
          "the next event of the subject",
          Effect.map(seqsOf(name, "poisoned-d"), (s) => s.length === 1)
        )
        assert.deepStrictEqual(yield* seqsOf(name, "poisoned-d"), [2])
        assert.deepStrictEqual(yield* admin.deadLetters({ consumer: name }), [], "no longer listed as dead")
        const kept = yield* admin.deadLetters({ consumer: name, includeDiscarded: true })
        assert.deepStrictEqual(
          kept.map((k) => [k.status, k.discardReason]),
          [["discarded", "refunded by hand"]]
        )
        assert.strictEqual(yield* admin.replay({ consumer: name }), 0, "a discarded letter is not replayed")
      })
    )
  )

  it.effect("skip: a dead letter does not block its subject; replay handles it after the events that followed", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const sink = yield* EventSink
        const admin = yield* DispatchAdmin
        const broken = yield* Ref.make(true)
        const name = "billing.skip"
        yield* Worker.run(withPoison(name, "skip", broken, "poisoned-s"), fast)
        yield* sink.publish([placed("poisoned-s", 1), placed("poisoned-s", 2), placed("poisoned-s", 3)], context)
        yield* waitFor(
          "the rest of the subject",
          Effect.map(seqsOf(name, "poisoned-s"), (s) => s.length === 2)
        )
        assert.deepStrictEqual(yield* seqsOf(name, "poisoned-s"), [2, 3])
        assert.strictEqual((yield* admin.deadLetters({ consumer: name })).length, 1)
        assert.deepStrictEqual(yield* admin.blockedSubjects(name), [])
        yield* Ref.set(broken, false)
        assert.strictEqual(yield* admin.replay({ consumer: name }), 1)
        yield* waitFor(
          "the replayed event",
          Effect.map(seqsOf(name, "poisoned-s"), (s) => s.length === 3)
        )
        assert.deepStrictEqual(yield* seqsOf(name, "poisoned-s"), [2, 3, 1])
        assert.strictEqual(yield* count(`SELECT 1 FROM dispatch.deliveries WHERE consumer = '${name}'`), 0)
      })
    )
  )
})
