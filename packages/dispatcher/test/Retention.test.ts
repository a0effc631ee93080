import { assert, layer } from "@effect/vitest"
import { EventSink } from "@tessera/envelope/EventSink"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import * as Retention from "../src/Retention.ts"
import { OrderPlacedV2 } from "./fixtures/Shop.ts"
import { context, event, testLayer } from "./fixtures/Support.ts"

const windows = { events: "30 days", inbox: "30 days", deadLetters: "90 days", batchSize: 2 } as const

layer(testLayer(), { excludeTestServices: true })("retention", (it) => {
  it.effect("retention removes exactly what is past its window and nothing a consumer still needs", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const sink = yield* EventSink
      const ids = yield* sink.publish(
        ["handled", "pending", "dead", "discarded-long-ago", "discarded-lately", "recent", "old-2", "old-3"].map(
          (orderId) => event(OrderPlacedV2, { orderId, seq: 1, total: { amount: 1, currency: "EUR" } })
        ),
        context
      )
      const [handled, pending, dead, discardedLongAgo, discardedLately, recent, old2, old3] = ids
      const pos = (id: string | undefined) => sql`(SELECT position FROM dispatch.events WHERE event_id = ${id ?? ""})`
      yield* sql`UPDATE dispatch.events SET recorded_at = now() - interval '40 days' WHERE event_id <> ${recent ?? ""}`
      yield* sql`
        INSERT INTO dispatch.inbox (consumer, event_id, processed_at) VALUES
          ('c', ${handled ?? ""}, now() - interval '40 days'), ('c', ${old2 ?? ""}, now() - interval '40 days'),
          ('c', ${old3 ?? ""}, now() - interval '40 days'), ('c', ${recent ?? ""}, now())`
      yield* sql`INSERT INTO dispatch.deliveries (consumer, position, subject_key) SELECT 'c', ${pos(pending)}, 'order:pending'`
      yield* sql`
        INSERT INTO dispatch.dead_letters (consumer, position, subject_key, reason, error, attempts, status, dead_at, discarded_at)
        SELECT 'c', ${pos(dead)}, 'order:dead', 'Exhausted', 'e', 1, 'dead', now() - interval '200 days', NULL
        UNION ALL SELECT 'c', ${pos(discardedLongAgo)}, 'order:x', 'Exhausted', 'e', 1, 'discarded', now() - interval '200 days', now() - interval '100 days'
        UNION ALL SELECT 'c', ${pos(discardedLately)}, 'order:y', 'Exhausted', 'e', 1, 'discarded', now() - interval '200 days', now() - interval '1 day'`

      const first = yield* Retention.purge(windows)
      assert.deepStrictEqual(first, { events: 3, inbox: 3, deadLetters: 1 })
      const left = yield* sql<{ orderId: string }>`
        SELECT payload->>'orderId' AS "orderId" FROM dispatch.events ORDER BY position`
      assert.deepStrictEqual(
        left.map((r) => r.orderId),
        ["pending", "dead", "discarded-long-ago", "discarded-lately", "recent"]
      )
      const inbox = yield* sql<{ event_id: string }>`SELECT event_id::text FROM dispatch.inbox`
      assert.deepStrictEqual(
        inbox.map((r) => r.event_id),
        [recent]
      )
      const letters = yield* sql<{
        subject_key: string
      }>`SELECT subject_key FROM dispatch.dead_letters ORDER BY subject_key`
      assert.deepStrictEqual(
        letters.map((r) => r.subject_key),
        ["order:dead", "order:y"]
      )
      // The discarded letter's event outlived it by one run; now it goes too, and nothing else.
      assert.deepStrictEqual(yield* Retention.purge(windows), { events: 1, inbox: 0, deadLetters: 0 })
      assert.deepStrictEqual(yield* Retention.purge(windows), { events: 0, inbox: 0, deadLetters: 0 })
    })
  )
})
