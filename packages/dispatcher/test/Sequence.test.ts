/**
 * `Consumer.sequence: "actor"`: a consumer whose handler keeps state per actor orders its events by
 * who acted, not by subject: one event per actor in flight across all lanes, in position order,
 * whatever the subjects (issue #10's rule "lanes keyed by what the handler locks").
 */
import { assert, layer } from "@effect/vitest"
import { EventSink } from "@tessera/envelope/EventSink"
import { Effect, Ref } from "effect"
import { SqlClient } from "effect/sql"
import * as Consumer from "../src/Consumer.ts"
import * as Worker from "../src/Worker.ts"
import { recordEffect } from "./fixtures/Consumers.ts"
import { OrderPlacedV2, registry } from "./fixtures/Shop.ts"
import { context, count, event, testLayer, waitFor } from "./fixtures/Support.ts"

const ACTORS = ["alice", "bob", "carol"]
const PER_ACTOR = 30

layer(testLayer(), { excludeTestServices: true })("sequence by actor", (it) => {
  it.effect(
    "each actor's events are handled one at a time and in order, across subjects and lanes; the delivery rows are keyed by actor",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          const sql = yield* SqlClient.SqlClient
          const sink = yield* EventSink
          const inFlight = yield* Ref.make(new Map<string, number>())
          const overlaps = yield* Ref.make(0)
          const perActor = Consumer.make({
            name: "billing.perActor",
            domain: "billing",
            sequence: "actor",
            handlers: [
              Consumer.on(OrderPlacedV2, (e) =>
                Effect.gen(function* () {
                  const actor = e.actor.id
                  const before = yield* Ref.modify(inFlight, (m) => {
                    const n = m.get(actor) ?? 0
                    return [n, new Map(m).set(actor, n + 1)] as const
                  })
                  if (before > 0) yield* Ref.update(overlaps, (n) => n + 1)
                  yield* Effect.sleep("2 millis")
                  yield* recordEffect("billing.perActor", e.event_id, actor, e.payload.seq)
                  yield* Ref.update(inFlight, (m) => new Map(m).set(actor, (m.get(actor) ?? 1) - 1))
                })
              )
            ]
          })
          yield* Effect.scoped(
            Effect.gen(function* () {
              yield* Worker.run(perActor, {
                registry,
                pollInterval: "100 millis",
                concurrency: 4,
                claimSize: 8,
                transactionSize: 8
              })
              // Every event its own subject (an order); the actors interleaved.
              for (let seq = 1; seq <= PER_ACTOR; seq++) {
                for (const actor of ACTORS) {
                  yield* sink.publish(
                    [event(OrderPlacedV2, { orderId: `${actor}-${seq}`, seq, total: { amount: 1, currency: "EUR" } })],
                    { ...context, actor: { type: "user", id: actor } }
                  )
                }
              }
              yield* waitFor(
                "every event handled",
                Effect.map(
                  count("SELECT 1 FROM effects WHERE consumer = 'billing.perActor'"),
                  (n) => n === ACTORS.length * PER_ACTOR
                )
              )
            })
          )
          assert.strictEqual(yield* Ref.get(overlaps), 0, "never two events of one actor in flight")
          const outOfOrder = yield* sql<{ subject: string }>`
            SELECT subject FROM (
              SELECT subject, seq, lag(seq) OVER (PARTITION BY subject ORDER BY id) AS previous
              FROM effects WHERE consumer = 'billing.perActor'
            ) s WHERE previous IS NOT NULL AND seq <> previous + 1`
          assert.deepStrictEqual(outOfOrder, [], "each actor's events handled in order")
          // The ordering key is the actor: a delivery waiting while the consumer is down shows it.
          yield* sink.publish(
            [event(OrderPlacedV2, { orderId: "waiting", seq: 1, total: { amount: 1, currency: "EUR" } })],
            { ...context, actor: { type: "user", id: "alice" } }
          )
          const keys = yield* sql<{ readonly subject_key: string }>`
            SELECT subject_key FROM dispatch.deliveries WHERE consumer = 'billing.perActor'`
          assert.deepStrictEqual(
            keys.map((k) => k.subject_key),
            ["user:alice"]
          )
        })
      )
  )
})
