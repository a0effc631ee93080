import { assert, describe, it } from "@effect/vitest"
import { Schema } from "effect"
import { command, domainOf, idOf, pathOfKey, query } from "../src/Contract.ts"
import { CompleteTask, CreateTask, GetTask, Ping, PurgeTasks } from "./fixtures/SampleContracts.ts"
import { TaskCompleted, TaskCreated } from "./fixtures/SampleEvents.ts"

describe("Contract definitions", () => {
  it("derive method and path from the key, unless overridden", () => {
    assert.deepStrictEqual(CreateTask.http, { method: "POST", path: "/sample/task/create" })
    assert.deepStrictEqual(GetTask.http, { method: "POST", path: "/sample/task/get" })
    assert.deepStrictEqual(PurgeTasks.http, { method: "PUT", path: "/sample/tasks/purge" })
    assert.strictEqual(pathOfKey("integration.syncConfig.create"), "/integration/syncConfig/create")
  })

  it("name their identity and owning domain", () => {
    assert.strictEqual(idOf(CreateTask), "sample.task.create@1.0.0")
    assert.strictEqual(domainOf(CreateTask), "sample")
    assert.strictEqual(CreateTask.kind, "command")
    assert.strictEqual(GetTask.kind, "query")
  })

  it("audit commands by default, queries not; idempotency is opt-in", () => {
    assert.deepStrictEqual(CreateTask.audit, { action: "sample.task.create", input: true })
    assert.strictEqual(GetTask.audit, false)
    assert.strictEqual(Ping.audit, false)
    assert.isTrue(CreateTask.idempotent)
    assert.isFalse(CompleteTask.idempotent)
  })

  it("keep emitted events as definitions, with when they are emitted", () => {
    assert.deepStrictEqual(CreateTask.emits, [{ event: TaskCreated, when: "The task is created" }])
    const bare = command({
      meta: { ...CompleteTask.meta, key: "sample.task.reopen" },
      input: Schema.Struct({}),
      output: Schema.Struct({}),
      policy: { auth: "user" },
      emits: [TaskCompleted],
      audit: { action: "task.reopened", input: false }
    })
    assert.deepStrictEqual(bare.emits, [{ event: TaskCompleted, when: "" }])
    assert.deepStrictEqual(bare.audit, { action: "task.reopened", input: false })
    const audited = query({
      meta: GetTask.meta,
      input: GetTask.input,
      output: GetTask.output,
      policy: { auth: "admin" },
      audit: {}
    })
    assert.deepStrictEqual(audited.audit, { action: "sample.task.get", input: true })
  })

  it("carry what the seed pages show: meta, policy, scenarios and examples", () => {
    assert.deepStrictEqual(CompleteTask.meta.tags, ["sample", "task", "complete"])
    assert.deepStrictEqual(
      CompleteTask.acceptance.scenarios.map((scenario) => scenario.key),
      ["complete-task-happy-path", "complete-task-twice"]
    )
    assert.strictEqual(CompleteTask.acceptance.examples[0]?.input.taskId, "task-1")
  })
})
