import { assert, layer } from "@effect/vitest"
import { query } from "@tessera/contract-kit/Contract"
import * as ContractApi from "@tessera/contract-kit/ContractApi"
import * as ContractClient from "@tessera/contract-kit/ContractClient"
import { CreateTask, GetTask, TaskExists } from "@tessera/contract-kit/fixtures/SampleContracts"
import { TaskArchived, TaskCreated } from "@tessera/contract-kit/fixtures/SampleEvents"
import { Effect, Layer, Schema } from "effect"
import { HttpClient, HttpClientRequest } from "effect/http"
import { SqlClient } from "effect/sql"
import * as ContractServer from "../src/ContractServer.ts"
import { implement } from "../src/Implementation.ts"
import { GetTaskHandler, Tasks } from "./fixtures/SampleApp.ts"
import * as TestServer from "./fixtures/TestServer.ts"
import { alice, auth, clientAs } from "./fixtures/TestServer.ts"

/** Writes the task and emits its event, then fails in the way the title asks for. */
const FailingCreate = implement(CreateTask, (input, { actor, emit }) =>
  Effect.gen(function* () {
    const tasks = yield* Tasks
    yield* tasks.insert(actor.organizationId, {
      id: input.id,
      title: input.title,
      status: "open",
      createdBy: actor.userId
    })
    yield* emit(TaskCreated, { taskId: input.id, title: input.title })
    if (input.title === "declared") {
      return yield* new TaskExists({ taskId: input.id, detail: "declared failure after the writes" })
    }
    if (input.title === "undeclared-event") {
      // @ts-expect-error sample.task.create does not declare task.archived: this must not compile
      yield* emit(TaskArchived, { taskId: input.id })
    }
    return yield* Effect.die(new Error("connection to 10.0.0.7 lost; password=hunter2"))
  })
)

/** A query that opts into auditing: its transaction must allow the audit row. */
const PeekTask = query({
  meta: { ...GetTask.meta, key: "sample.task.peek", description: "Read one task, audited." },
  input: GetTask.input,
  output: Schema.Struct({ found: Schema.Boolean }),
  policy: { auth: "user" },
  audit: { action: "task.peeked" }
})
const PeekApi = ContractApi.make("sample", [PeekTask])

const routes = ContractServer.layer({
  domain: "sample",
  catalog: [
    FailingCreate,
    GetTaskHandler,
    implement(PeekTask, (input, { actor }) =>
      Effect.gen(function* () {
        const tasks = yield* Tasks
        const found = yield* tasks.find(actor.organizationId, input.taskId)
        return { found: found._tag === "Some" }
      })
    )
  ]
}).pipe(Layer.provide(Tasks.layer))

const counts = (taskId: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const [row] = yield* sql<{ readonly tasks: number; readonly events: number; readonly audits: number }>`
      SELECT
        (SELECT count(*)::int FROM sample.tasks WHERE id = ${taskId}) AS tasks,
        (SELECT count(*)::int FROM test_events.emitted_events WHERE subject_id = ${taskId}) AS events,
        (SELECT count(*)::int FROM contract_kit.audit_log WHERE input->>'id' = ${taskId}) AS audits`
    return row
  })

layer(TestServer.layer(routes), { excludeTestServices: true })("Transaction boundary", (it) => {
  it.effect("500: a defect answers the request id and no internals; state, events and audit roll back", () =>
    Effect.gen(function* () {
      const http = yield* HttpClient.HttpClient
      const response = yield* http.execute(
        HttpClientRequest.post("/sample/task/create").pipe(
          HttpClientRequest.bearerToken(yield* auth.mint(alice)),
          HttpClientRequest.bodyJsonUnsafe({ id: "boom", title: "defect" })
        )
      )
      assert.strictEqual(response.status, 500)
      assert.strictEqual(response.headers["content-type"], "application/problem+json")
      const text = yield* response.text
      assert.notInclude(text, "hunter2")
      assert.notInclude(text, "10.0.0.7")
      const body = JSON.parse(text)
      assert.deepInclude(body, { status: 500, code: "INTERNAL", requestId: response.headers["x-request-id"] })
      assert.deepStrictEqual(yield* counts("boom"), { tasks: 0, events: 0, audits: 0 })

      const client = yield* clientAs(alice)
      const typed = yield* Effect.flip(
        client.sample["sample.task.create"]({ payload: { id: "boom-2", title: "defect" }, headers: {} })
      )
      assert.strictEqual(typed._tag, "InternalError")
    })
  )

  it.effect("409: a declared failure after the writes rolls them back too", () =>
    Effect.gen(function* () {
      const client = yield* clientAs(alice)
      const error = yield* Effect.flip(
        client.sample["sample.task.create"]({ payload: { id: "declared", title: "declared" }, headers: {} })
      )
      assert.strictEqual(error._tag, "TaskExists")
      assert.deepStrictEqual(yield* counts("declared"), { tasks: 0, events: 0, audits: 0 })
    })
  )

  it.effect("an audited query writes its audit row (and nothing else)", () =>
    Effect.gen(function* () {
      const client = yield* ContractClient.make(PeekApi, { token: yield* auth.mint(alice) })
      assert.deepStrictEqual(yield* client.sample["sample.task.peek"]({ payload: { taskId: "nothing" } }), {
        found: false
      })
      const sql = yield* SqlClient.SqlClient
      const rows =
        yield* sql`SELECT action, actor_id FROM contract_kit.audit_log WHERE contract_key = 'sample.task.peek'`
      assert.deepStrictEqual(rows, [{ action: "task.peeked", actor_id: "alice" }])
    })
  )

  it.effect("an event the contract does not declare is refused at run time too (500, rolled back)", () =>
    Effect.gen(function* () {
      const client = yield* clientAs(alice)
      const error = yield* Effect.flip(
        client.sample["sample.task.create"]({ payload: { id: "sneaky", title: "undeclared-event" }, headers: {} })
      )
      assert.strictEqual(error._tag, "InternalError")
      assert.deepStrictEqual(yield* counts("sneaky"), { tasks: 0, events: 0, audits: 0 })
    })
  )
})
