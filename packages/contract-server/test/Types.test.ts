/**
 * Type-level guarantees, checked by `tsc` (the package's typecheck covers test/): each
 * `@ts-expect-error` below fails the typecheck if the line it marks ever compiles.
 */
import { assert, describe, expectTypeOf, it } from "@effect/vitest"
import { command, type Principal, query } from "@tessera/contract-kit/Contract"
import {
  CompleteTask,
  CreateTask,
  type Ping,
  TaskAlreadyDone,
  TaskNotFound
} from "@tessera/contract-kit/fixtures/SampleContracts"
import { TaskArchived, TaskCompleted, TaskCreated } from "@tessera/contract-kit/fixtures/SampleEvents"
import { Effect, Schema } from "effect"
import { type HandlerContext, implement } from "../src/Implementation.ts"

const meta = {
  key: "sample.type.check",
  version: "1.0.0",
  stability: "experimental",
  owners: [],
  tags: [],
  description: "Type checks.",
  goal: "None.",
  context: "Tests."
} as const

describe("implement", () => {
  it("emit accepts only the contract's declared events", () => {
    const implementation = implement(CreateTask, (input, { actor, emit }) =>
      Effect.gen(function* () {
        yield* emit(TaskCreated, { taskId: input.id, title: input.title })
        // @ts-expect-error task.completed is not declared by sample.task.create
        yield* emit(TaskCompleted, { taskId: input.id })
        // @ts-expect-error task.archived is declared by no contract
        yield* emit(TaskArchived, { taskId: input.id })
        // @ts-expect-error the payload must match the event's schema
        yield* emit(TaskCreated, { taskId: input.id })
        return { id: input.id, title: input.title, status: "open" as const, createdBy: actor.userId }
      })
    )
    assert.strictEqual(implementation.contract, CreateTask)
  })

  it("a contract may emit several different events, each with its own payload", () => {
    const Both = command({
      meta: { ...meta, key: "sample.task.both" },
      input: Schema.Struct({ id: Schema.String }),
      output: Schema.Struct({ id: Schema.String }),
      policy: { auth: "user" },
      emits: [{ event: TaskCreated, when: "first" }, TaskCompleted]
    })
    const implementation = implement(Both, (input, { emit }) =>
      Effect.gen(function* () {
        yield* emit(TaskCreated, { taskId: input.id, title: "t" })
        yield* emit(TaskCompleted, { taskId: input.id })
        // @ts-expect-error task.archived is not in the list
        yield* emit(TaskArchived, { taskId: input.id })
        // @ts-expect-error each event keeps its own payload type
        yield* emit(TaskCompleted, { taskId: input.id, title: "t" })
        return { id: input.id }
      })
    )
    assert.deepStrictEqual(
      implementation.contract.emits.map((e) => e.event.type),
      ["task.created", "task.completed"]
    )
  })

  it("the handler returns the output and fails only with declared errors", () => {
    // @ts-expect-error the output misses fields
    implement(CompleteTask, (input) => Effect.succeed({ id: input.taskId }))
    implement(CompleteTask, (input) =>
      // @ts-expect-error TaskNotFound is declared by sample.task.complete, but a plain Error is not
      Effect.fail(new Error(`no ${input.taskId}`))
    )
    const ok = implement(CompleteTask, (input) =>
      input.taskId === "a"
        ? Effect.fail(new TaskNotFound({ taskId: input.taskId, detail: "none" }))
        : Effect.fail(new TaskAlreadyDone({ taskId: input.taskId, detail: "done" }))
    )
    assert.strictEqual(ok._tag, "Implementation")
  })

  it("the actor is always there unless the contract is anonymous", () => {
    expectTypeOf<HandlerContext<typeof CreateTask>["actor"]>().toEqualTypeOf<Principal>()
    expectTypeOf<HandlerContext<typeof Ping>["actor"]>().toEqualTypeOf<Principal | undefined>()
    expectTypeOf<Parameters<Parameters<typeof implement<typeof CreateTask>>[1]>[0]>().toEqualTypeOf<{
      readonly id: string
      readonly title: string
    }>()
  })
})

describe("definitions", () => {
  it("examples are typed from the schemas (wire form)", () => {
    const input = Schema.Struct({ count: Schema.Number })
    const output = Schema.Struct({ ok: Schema.Boolean })
    const good = command({
      meta,
      input,
      output,
      policy: { auth: "user" },
      acceptance: { examples: [{ key: "fine", input: { count: 1 }, output: { ok: true } }] }
    })
    command({
      meta,
      input,
      output,
      policy: { auth: "user" },
      // @ts-expect-error count must be a number
      acceptance: { examples: [{ key: "wrong-type", input: { count: "1" }, output: { ok: true } }] }
    })
    command({
      meta,
      input,
      output,
      policy: { auth: "user" },
      // @ts-expect-error unknown property in the example input
      acceptance: { examples: [{ key: "excess", input: { count: 1, extra: true }, output: { ok: true } }] }
    })
    query({
      meta,
      input,
      output,
      policy: { auth: "user" },
      // @ts-expect-error queries emit nothing
      emits: [TaskCreated]
    })
    assert.strictEqual(good.acceptance.examples.length, 1)
  })
})
