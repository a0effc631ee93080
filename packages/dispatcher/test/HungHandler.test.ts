import { type ChildProcess, spawn } from "node:child_process"
import * as Path from "node:path"
import { assert, layer } from "@effect/vitest"
import { DispatchAdmin } from "@tessera/dispatcher/DispatchAdmin"
import { EventSink } from "@tessera/envelope/EventSink"
import { TestDatabase } from "@tessera/test-harness/TestDatabase"
import { Deferred, Duration, Effect, Layer, Redacted } from "effect"
import * as Worker from "../src/Worker.ts"
import { hangs } from "./fixtures/Consumers.ts"
import { hangOptions } from "./fixtures/hangWorker.ts"
import { OrderPlacedV2 } from "./fixtures/Shop.ts"
import { context, count, event, testLayer, waitFor } from "./fixtures/Support.ts"

const script = Path.join(import.meta.dirname, "fixtures", "hangWorker.ts")

const waitForMarker = (child: ChildProcess, marker: string) =>
  Effect.gen(function* () {
    const seen = yield* Deferred.make<void, string>()
    let output = ""
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8")
      if (output.includes(marker)) Deferred.doneUnsafe(seen, Effect.void)
    })
    child.once("exit", (code) => Deferred.doneUnsafe(seen, Effect.fail(`worker exited (${code}) before ${marker}`)))
    yield* Deferred.await(seen).pipe(
      Effect.timeoutOrElse({ duration: "30 seconds", orElse: () => Effect.fail(`no ${marker} from the worker`) })
    )
  })

const placed = (orderId: string, seq = 1) =>
  event(OrderPlacedV2, { orderId, seq, total: { amount: 1, currency: "EUR" } })

layer(testLayer(), { excludeTestServices: true })("hung handler (two processes)", (it) => {
  it.effect(
    "a handler idle in transaction forever → other subjects keep flowing in both processes; the hung event is retried and dead-lettered as timed out",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          const sink = yield* EventSink
          const admin = yield* DispatchAdmin
          const database = yield* TestDatabase
          const child = yield* Effect.acquireRelease(
            Effect.sync(() =>
              spawn(process.execPath, [script], {
                env: { ...process.env, DATABASE_URL: Redacted.value(database.url) },
                stdio: ["ignore", "pipe", "inherit"]
              })
            ),
            (c) => Effect.sync(() => c.kill("SIGKILL"))
          )
          const ready = waitForMarker(child, "READY")
          yield* ready
          const hung = waitForMarker(child, "HUNG")
          yield* sink.publish([placed("hung"), ...Array.from({ length: 10 }, (_, i) => placed(`early-${i}`))], context)
          yield* hung
          // A second process (its own pool with the worker timeouts) joins while the first hangs.
          const pool = yield* Layer.build(
            Worker.poolLayer(
              { url: database.url },
              {
                size: 4,
                statementTimeout: Duration.seconds(2),
                lockTimeout: Duration.seconds(1),
                idleInTransactionTimeout: Duration.seconds(2)
              }
            ).pipe(Layer.orDie)
          )
          yield* Worker.run(hangs("parent"), hangOptions).pipe(Effect.provide(pool))
          yield* sink.publish(
            Array.from({ length: 30 }, (_, i) => placed(`late-${i}`)),
            context
          )
          yield* waitFor(
            "every other subject",
            Effect.map(count("SELECT 1 FROM effects WHERE subject <> 'hung'"), (n) => n === 40),
            "60 seconds"
          )
          yield* waitFor(
            "the hung event's dead letter",
            Effect.map(admin.deadLetters({ consumer: "billing.hangs" }), (l) => l.length === 1),
            "60 seconds"
          )
          const [dead] = yield* admin.deadLetters({ consumer: "billing.hangs" })
          assert.strictEqual(dead?.reason, "TimedOut")
          assert.strictEqual(dead?.failures, 3)
          assert.strictEqual(dead?.abandoned, 0, "no lease expired: the timeout ended every hung attempt")
          assert.match(dead?.error ?? "", /^timed out: failed 3 time\(s\)/)
          assert.strictEqual(yield* count("SELECT 1 FROM effects WHERE subject = 'hung'"), 0, "rolled back each time")
          assert.strictEqual(
            yield* count("SELECT 1 FROM effects GROUP BY event_id HAVING count(*) > 1"),
            0,
            "no double effect"
          )
          assert.isAbove(
            yield* count("SELECT DISTINCT worker FROM effects"),
            1,
            "both processes handled events while one event hung"
          )
        })
      ),
    120_000
  )
})
