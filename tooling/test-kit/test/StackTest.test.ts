/**
 * The kit's own tests, on a two-domain fixture (`fixtures/Echo.ts`): the same tests run with the
 * apps in this process and as separate processes (each its own `main.ts`), then what only one
 * mode can do.
 */
import { assert } from "@effect/vitest"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import * as StackTest from "../src/StackTest.ts"
import * as Echo from "./fixtures/Echo.ts"

const ada = { userId: "ada", organizationId: "acme", roles: [] }

const repliesOf = (organizationId: string) =>
  Effect.flatMap(
    SqlClient.SqlClient.use(Effect.succeed),
    (sql) =>
      sql<{ pingId: string; repliedAt: Date; attempt: number }>`
        SELECT ping_id AS "pingId", replied_at AS "repliedAt", attempt FROM pong.replies
        WHERE organization_id = ${organizationId} ORDER BY ping_id`
  ).pipe(Effect.orDie)

for (const mode of ["in-process", "processes"] as const) {
  const stack = StackTest.make({
    apps: Echo.apps,
    mains: Echo.mains,
    catalogs: { ping: Echo.pingCatalog },
    registry: Echo.registry,
    mode
  })

  stack.describe(`StackTest (${mode})`, (it) => {
    it.effect("settle waits until every consumer has handled everything, and what that published", () =>
      Effect.gen(function* () {
        const { ping } = yield* stack.clients({ ...ada, organizationId: "settle" }, { correlationId: "settle-1" })
        for (const n of [1, 2, 3]) yield* ping["ping.send"]({ payload: { pingId: `p${n}`, text: "hi" } })
        yield* stack.settle()
        assert.deepStrictEqual(
          (yield* repliesOf("settle")).map((r) => r.pingId),
          ["p1", "p2", "p3"]
        )
        const replied = yield* stack.eventsOf(Echo.PongReplied, { organizationId: "settle" })
        assert.strictEqual(replied.length, 3)
        assert.lengthOf(yield* stack.events({ organizationId: "settle", type: "ping.sent", subject: "ping:p2" }), 1)
        const chain = yield* stack.chain("settle-1")
        assert.strictEqual(chain.roots.length, 3, chain.text)
        assert.deepStrictEqual(chain.roots[0]?.handledBy, ["pong.reply"], chain.text)
        assert.strictEqual(chain.roots[0]?.caused[0]?.event.type, "pong.replied", chain.text)
        assert.include(chain.text, "ping.sent@1 ping:p1 by user ada")
      })
    )

    it.effect("a consumer failing fewer times than its retries still settles; its retries are counted", () =>
      Effect.gen(function* () {
        const { ping } = yield* stack.clients({ ...ada, organizationId: "retry" })
        yield* stack.faults.fail("pong.reply", 2)
        yield* ping["ping.send"]({ payload: { pingId: "r1", text: "hi" } })
        yield* stack.settle()
        yield* stack.faults.clear
        const [reply] = yield* repliesOf("retry")
        assert.strictEqual(reply?.attempt, 3) // two failures, then handled
      })
    )

    it.effect("n injected failures are n failed attempts, also when the events come in one batch", () =>
      Effect.gen(function* () {
        const { ping } = yield* stack.clients({ ...ada, organizationId: "batch" })
        yield* stack.faults.pause("pong.reply") // four events waiting: one claim, one batch
        for (const n of [1, 2, 3, 4]) yield* ping["ping.send"]({ payload: { pingId: `m${n}`, text: "hi" } })
        yield* stack.faults.fail("pong.reply", 2)
        yield* stack.faults.resume("pong.reply")
        yield* stack.settle().pipe(Effect.ensuring(stack.faults.clear))
        const replies = yield* repliesOf("batch")
        assert.strictEqual(replies.length, 4)
        assert.strictEqual(
          replies.reduce((failed, reply) => failed + reply.attempt - 1, 0),
          2
        )
      })
    )

    it.effect("settle fails naming the consumer, the event and the error of a dead letter", () =>
      Effect.gen(function* () {
        const { ping } = yield* stack.clients({ ...ada, organizationId: "dead" }, { correlationId: "dead-1" })
        yield* stack.faults.fail("pong.reply", 100, { eventType: Echo.PingSent })
        yield* ping["ping.send"]({ payload: { pingId: "d1", text: "hi" } })
        const failure = yield* Effect.flip(stack.settle()).pipe(Effect.ensuring(stack.faults.clear))
        assert.strictEqual(failure._tag, "SettleError")
        assert.include(failure.message, "pong.reply: ping.sent@1")
        assert.include(failure.message, "Exhausted")
        assert.include(failure.message, "injected failure")
        // Looked at, it no longer fails settle.
        const dead = yield* stack.deadLetters("pong.reply")
        assert.strictEqual(dead.length, 1)
        const chain = yield* stack.chain("dead-1")
        assert.include(chain.text, "✗ dead letter of pong.reply: Exhausted")
        yield* stack.settle()
      })
    )

    it.effect("a handler failing unexpectedly fails settle at once, naming the consumer, the event and the error", () =>
      Effect.gen(function* () {
        const { ping } = yield* stack.clients({ ...ada, organizationId: "boom" })
        yield* ping["ping.send"]({ payload: { pingId: "b1", text: "boom" } })
        const failure = yield* Effect.flip(stack.settle())
        assert.include(failure.message, "pong.reply: ping.sent@1")
        assert.include(failure.message, "Boom")
        // Let it run its course, and acknowledge its dead letter so later tests settle.
        yield* stack.settle({ allowRetries: true, allowDeadLetters: true })
        assert.lengthOf(
          (yield* stack.deadLetters("pong.reply")).filter((d) => d.subjectKey === "ping:b1"),
          1
        )
      })
    )

    it.effect("a handler crashing mid-transaction commits nothing; the event is handled again", () =>
      Effect.gen(function* () {
        const { ping } = yield* stack.clients({ ...ada, organizationId: "crash" })
        yield* stack.faults.crash("pong.reply")
        yield* ping["ping.send"]({ payload: { pingId: "c1", text: "hi" } })
        yield* stack.settle()
        assert.strictEqual(yield* stack.faults.fired("pong.reply"), 1)
        yield* stack.faults.clear
        assert.lengthOf(yield* repliesOf("crash"), 1)
        assert.lengthOf(yield* stack.events({ organizationId: "crash", type: Echo.PongReplied }), 1)
      })
    )

    it.effect("a paused consumer lags, then catches up when resumed", () =>
      Effect.gen(function* () {
        const { ping } = yield* stack.clients({ ...ada, organizationId: "pause" })
        yield* stack.faults.pause("pong.reply")
        for (const n of [1, 2]) yield* ping["ping.send"]({ payload: { pingId: `q${n}`, text: "hi" } })
        yield* stack.settle() // paused consumers are left out
        assert.strictEqual((yield* stack.lag("pong.reply")).pending, 2)
        assert.lengthOf(yield* repliesOf("pause"), 0)
        const behind = yield* Effect.flip(stack.settle({ includePaused: true, timeout: "500 millis" }))
        assert.include(behind.message, "pong.reply still behind")
        assert.include(behind.message, "ping.sent@1")
        yield* stack.faults.resume("pong.reply")
        yield* stack.settle()
        assert.lengthOf(yield* repliesOf("pause"), 2)
        assert.strictEqual((yield* stack.lag("pong.reply")).pending, 0)
      })
    )

    it.effect("processes.* answers for a running process, and refuses in one process saying why", () =>
      Effect.gen(function* () {
        if (stack.mode === "processes") {
          assert.include(yield* stack.processes.output("pong"), "is up at")
        } else {
          const refused = yield* Effect.flip(stack.processes.stop("pong"))
          assert.include(refused.message, "TESSERA_TEST_MODE=processes")
        }
        const unknown = yield* Effect.flip(stack.clients(ada).pipe(Effect.andThen(stack.processes.output("nope"))))
        assert.include(unknown.message, "nope")
      })
    )

    it.effect("the clock the test moves is the one the apps and the workers read", () =>
      Effect.gen(function* () {
        const { ping } = yield* stack.clients({ ...ada, organizationId: "clock" })
        yield* stack.clock.set(new Date("2031-02-03T10:00:00.000Z"))
        const sent = yield* ping["ping.send"]({ payload: { pingId: "t1", text: "hi" } })
        yield* stack.settle()
        yield* stack.clock.advance("2 days")
        yield* ping["ping.send"]({ payload: { pingId: "t2", text: "hi" } })
        yield* stack.settle()
        yield* stack.clock.set(new Date())
        assert.strictEqual(sent.sentAt.slice(0, 10), "2031-02-03") // the app's handler
        const replies = yield* repliesOf("clock")
        assert.strictEqual(replies[0]?.repliedAt.toISOString().slice(0, 10), "2031-02-03") // the worker
        assert.strictEqual(replies[1]?.repliedAt.toISOString().slice(0, 10), "2031-02-05")
        const [event] = yield* stack.events({ organizationId: "clock", subject: "ping:t2", type: "ping.sent" })
        assert.strictEqual(event?.occurredAt.toISOString().slice(0, 10), "2031-02-05") // the outbox
      })
    )
  })
}
