/**
 * What only processes mode does: each app is its own `main.ts` in a child process; stopping the
 * consumer's process leaves its events waiting (the producer keeps working), and starting it
 * again catches up. A SIGKILLed consumer process loses nothing.
 */
import { assert } from "@effect/vitest"
import { Effect } from "effect"
import * as StackTest from "../src/StackTest.ts"
import * as Echo from "./fixtures/Echo.ts"

const stack = StackTest.make({
  apps: Echo.apps,
  mains: Echo.mains,
  catalogs: { ping: Echo.pingCatalog },
  registry: Echo.registry,
  mode: "processes"
})

stack.describe("StackTest (processes only)", (it) => {
  it.effect("a stopped consumer process leaves its events waiting; started again, it catches up", () =>
    Effect.gen(function* () {
      const { ping } = yield* stack.clients({ userId: "ada", organizationId: "stop", roles: [] })
      yield* stack.processes.stop("pong")
      yield* ping["ping.send"]({ payload: { pingId: "s1", text: "hi" } })
      assert.strictEqual((yield* stack.lag("pong.reply")).pending, 1)
      yield* stack.processes.start("pong")
      yield* stack.settle()
      assert.strictEqual((yield* stack.lag("pong.reply")).pending, 0)
      assert.lengthOf(yield* stack.events({ organizationId: "stop", type: Echo.PongReplied }), 1)
    })
  )

  it.effect("a SIGKILLed consumer process loses nothing", () =>
    Effect.gen(function* () {
      const { ping } = yield* stack.clients({ userId: "ada", organizationId: "kill", roles: [] })
      yield* stack.processes.kill("pong")
      yield* ping["ping.send"]({ payload: { pingId: "k1", text: "hi" } })
      yield* stack.processes.start("pong")
      yield* stack.settle()
      assert.lengthOf(yield* stack.events({ organizationId: "kill", type: Echo.PongReplied }), 1)
    })
  )

  it.effect("what a child process printed is there to read (processes.output)", () =>
    Effect.gen(function* () {
      assert.strictEqual(stack.mode, "processes")
      assert.include(yield* stack.processes.output("ping"), "is up at")
    })
  )
})
