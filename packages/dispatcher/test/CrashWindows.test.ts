import { type ChildProcess, spawn } from "node:child_process"
import * as Path from "node:path"
import { assert, layer } from "@effect/vitest"
import { DispatchAdmin } from "@tessera/dispatcher/DispatchAdmin"
import { EventSink } from "@tessera/envelope/EventSink"
import { TestDatabase } from "@tessera/test-harness/TestDatabase"
import { Deferred, Effect, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import * as Worker from "../src/Worker.ts"
import { billing } from "./fixtures/Consumers.ts"
import { OrderPlacedV2, registry } from "./fixtures/Shop.ts"
import { context, count, event, testLayer, waitFor } from "./fixtures/Support.ts"

const script = Path.join(import.meta.dirname, "fixtures", "crashWorker.ts")

/** Starts a worker process that hangs at `crashAt`; resolves once it printed `marker`. */
const startVictim = (url: Redacted.Redacted<string>, crashAt: string) =>
  Effect.acquireRelease(
    Effect.sync(() =>
      spawn(process.execPath, [script], {
        env: { ...process.env, DATABASE_URL: Redacted.value(url), CRASH_AT: crashAt, MAX_ABANDONED: "3" },
        stdio: ["ignore", "pipe", "inherit"]
      })
    ),
    (child) => Effect.sync(() => child.kill("SIGKILL"))
  )

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

const kill = (child: ChildProcess) =>
  Effect.callback<void>((resume) => {
    if (child.exitCode !== null || child.signalCode !== null) return resume(Effect.void)
    child.once("exit", () => resume(Effect.void))
    child.kill("SIGKILL")
  })

const crashScenario = (crashAt: string, marker: string, subject: string) =>
  Effect.scoped(
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const sink = yield* EventSink
      const database = yield* TestDatabase
      const victim = yield* startVictim(database.url, crashAt)
      yield* waitForMarker(victim, "READY")
      const [eventId] = yield* sink.publish(
        [event(OrderPlacedV2, { orderId: subject, seq: 1, total: { amount: 1, currency: "EUR" } })],
        context
      )
      yield* waitForMarker(victim, marker)
      yield* kill(victim)
      const effectsOf = count(`SELECT 1 FROM effects WHERE event_id = '${eventId}'`)
      const pendingOf = count(
        `SELECT 1 FROM dispatch.deliveries d JOIN dispatch.events e USING (position) WHERE e.event_id = '${eventId}'`
      )
      return { sql, eventId: eventId ?? "", effectsOf, pendingOf }
    })
  )

/** Like `crashScenario`, but the delivery has already failed `failures` times when the victim claims it. */
const crashAfterFailures = (failures: number, subject: string) =>
  Effect.scoped(
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const sink = yield* EventSink
      const database = yield* TestDatabase
      const victim = yield* startVictim(database.url, "handler")
      yield* waitForMarker(victim, "READY")
      const [eventId] = yield* sql.withTransaction(
        Effect.gen(function* () {
          const ids = yield* sink.publish(
            [event(OrderPlacedV2, { orderId: subject, seq: 1, total: { amount: 1, currency: "EUR" } })],
            context
          )
          yield* sql`
            UPDATE dispatch.deliveries d SET failures = ${failures}, last_error = 'earlier failure'
            FROM dispatch.events e WHERE e.position = d.position AND e.event_id = ${ids[0] ?? ""}`
          return ids
        })
      )
      yield* waitForMarker(victim, "IN_HANDLER")
      yield* kill(victim)
      return eventId ?? ""
    })
  )

const survivorOptions = { registry, leaseDuration: "2 seconds", pollInterval: "100 millis" } as const
const survivor = Worker.run(billing("survivor"), survivorOptions)

layer(testLayer(), { excludeTestServices: true })("crash windows (SIGKILLed worker processes)", (it) => {
  it.effect("killed after taking its event → the transaction rolls back, delivered again, exactly one effect", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { eventId, effectsOf, pendingOf } = yield* crashScenario("claimed", "CLAIMED", "after-claim")
        assert.strictEqual(yield* effectsOf, 0)
        assert.strictEqual(yield* pendingOf, 1, "the taken delivery is back: its transaction died with the process")
        yield* survivor
        yield* waitFor(
          "redelivery",
          Effect.map(effectsOf, (n) => n === 1)
        )
        assert.strictEqual(
          yield* count(`SELECT 1 FROM effects WHERE event_id = '${eventId}' AND worker = 'survivor'`),
          1
        )
        assert.strictEqual(yield* pendingOf, 0)
      })
    )
  )

  it.effect("killed in the middle of the handler → its writes roll back; redelivered, exactly one effect", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { eventId, effectsOf, pendingOf } = yield* crashScenario("handler", "IN_HANDLER", "mid-handler")
        yield* waitFor(
          "the killed transaction to be gone",
          Effect.map(effectsOf, (n) => n === 0)
        )
        assert.strictEqual(yield* pendingOf, 1)
        yield* survivor
        yield* waitFor(
          "redelivery",
          Effect.map(effectsOf, (n) => n === 1)
        )
        assert.strictEqual(
          yield* count(`SELECT 1 FROM effects WHERE event_id = '${eventId}' AND worker = 'survivor'`),
          1
        )
        assert.strictEqual(yield* count(`SELECT 1 FROM dispatch.inbox WHERE event_id = '${eventId}'`), 1)
      })
    )
  )

  it.effect("killed after the handler's commit, before anything else → exactly one effect, nothing redelivered", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { eventId, effectsOf, pendingOf } = yield* crashScenario("committed", "COMMITTED", "after-commit")
        // The acknowledgement (deleting the delivery) committed with the handler's writes and the inbox row.
        assert.strictEqual(yield* effectsOf, 1)
        assert.strictEqual(yield* pendingOf, 0)
        assert.strictEqual(yield* count(`SELECT 1 FROM dispatch.inbox WHERE event_id = '${eventId}'`), 1)
        yield* survivor
        // A marker event published after the crash proves the survivor is delivering; the killed one's stays single.
        const sink = yield* EventSink
        yield* sink.publish(
          [event(OrderPlacedV2, { orderId: "marker", seq: 1, total: { amount: 1, currency: "EUR" } })],
          context
        )
        yield* waitFor(
          "the marker's effect",
          Effect.map(count("SELECT 1 FROM effects WHERE subject = 'marker'"), (n) => n === 1)
        )
        assert.strictEqual(yield* effectsOf, 1)
        assert.strictEqual(yield* count(`SELECT 1 FROM effects WHERE event_id = '${eventId}' AND worker = 'victim'`), 1)
      })
    )
  )

  it.effect(
    "a handler that kills its process every time → after maxAbandoned deaths a dead letter `Abandoned`, never handled, nothing failed",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          const sink = yield* EventSink
          const database = yield* TestDatabase
          const admin = yield* DispatchAdmin
          const [eventId] = yield* sink.publish(
            [event(OrderPlacedV2, { orderId: "process-killer", seq: 1, total: { amount: 1, currency: "EUR" } })],
            context
          )
          // Three processes in a row take it and die inside its handler (no lease has to run out
          // between them: each death rolls the event back at once).
          for (let death = 0; death < 3; death++) {
            yield* Effect.scoped(
              Effect.gen(function* () {
                const victim = yield* startVictim(database.url, "handler")
                yield* waitForMarker(victim, "IN_HANDLER")
                yield* kill(victim)
              })
            )
          }
          // Past the lanes' leases (2 s), a fresh process settles what they held before it takes anything.
          yield* Effect.sleep("2500 millis")
          yield* Worker.run(billing("survivor"), { ...survivorOptions, maxAbandoned: 3 })
          const [dead] = yield* admin.deadLetters({ consumer: "billing.recordOrders" })
          assert.strictEqual(dead?.eventId, eventId)
          assert.strictEqual(dead?.reason, "Abandoned")
          assert.strictEqual(dead?.abandoned, 3)
          assert.strictEqual(dead?.failures, 0)
          assert.strictEqual(yield* count(`SELECT 1 FROM effects WHERE event_id = '${eventId}'`), 0)
        })
      ),
    { timeout: 60_000 }
  )

  it.effect("a crash after N−1 failures → not dead-lettered early (a lane that died is no failed attempt)", () =>
    Effect.scoped(
      Effect.gen(function* () {
        // The default retry allows 10 attempts: 9 failed, then the process dies during the 10th.
        const eventId = yield* crashAfterFailures(9, "nine-failures")
        yield* survivor
        yield* waitFor(
          "redelivery",
          Effect.map(count(`SELECT 1 FROM effects WHERE event_id = '${eventId}'`), (n) => n === 1)
        )
        assert.strictEqual(
          yield* count(
            `SELECT 1 FROM dispatch.dead_letters x JOIN dispatch.events e USING (position) WHERE e.event_id = '${eventId}'`
          ),
          0
        )
        assert.strictEqual(
          yield* count(`SELECT 1 FROM effects WHERE event_id = '${eventId}' AND worker = 'survivor'`),
          1
        )
      })
    )
  )
})
