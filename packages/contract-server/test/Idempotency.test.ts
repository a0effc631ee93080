import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { HttpClient, HttpClientRequest } from "effect/http"
import { SqlClient } from "effect/sql"
import * as SampleApp from "./fixtures/SampleApp.ts"
import * as TestServer from "./fixtures/TestServer.ts"
import { alice, auth, bob, clientAs } from "./fixtures/TestServer.ts"

const count = (sql: SqlClient.SqlClient, taskId: string) =>
  sql<{ readonly tasks: number; readonly events: number }>`
    SELECT
      (SELECT count(*)::int FROM sample.tasks WHERE id = ${taskId}) AS tasks,
      (SELECT count(*)::int FROM test_events.emitted_events WHERE subject_id = ${taskId}) AS events`.pipe(
    Effect.map((rows) => rows[0])
  )

layer(TestServer.layer(SampleApp.routes), { excludeTestServices: true })("Idempotent commands", (it) => {
  it.effect("a retry with the same Idempotency-Key gets the stored first response; the handler ran once", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const client = yield* clientAs(alice)
      const call = client.sample["sample.task.create"]({
        payload: { id: "i-1", title: "Once" },
        headers: { "idempotency-key": "key-1" }
      })
      const first = yield* call
      const retry = yield* call
      assert.deepStrictEqual(retry, first)
      assert.deepStrictEqual(yield* count(sql, "i-1"), { tasks: 1, events: 1 })

      // Without the key the retry runs again, and the handler refuses the duplicate.
      const unkeyed = yield* Effect.flip(
        client.sample["sample.task.create"]({ payload: { id: "i-1", title: "Once" }, headers: {} })
      )
      assert.strictEqual(unkeyed._tag, "TaskExists")
    })
  )

  it.effect("the replay is marked, and equal bodies spelled differently count as the same body", () =>
    Effect.gen(function* () {
      const http = yield* HttpClient.HttpClient
      const token = yield* auth.mint(alice)
      const send = (body: string) =>
        http.execute(
          HttpClientRequest.post("/sample/task/create").pipe(
            HttpClientRequest.bearerToken(token),
            HttpClientRequest.setHeader("idempotency-key", "key-2"),
            HttpClientRequest.bodyText(body, "application/json")
          )
        )
      const first = yield* send(`{"id":"i-2","title":"Marked"}`)
      const again = yield* send(`{ "title": "Marked", "id": "i-2" }`)
      assert.strictEqual(first.status, 200)
      assert.strictEqual(again.status, 200)
      assert.isUndefined(first.headers["idempotent-replayed"])
      assert.strictEqual(again.headers["idempotent-replayed"], "true")
      assert.deepStrictEqual(yield* again.json, yield* first.json)
    })
  )

  it.effect("422: the same key with a different body", () =>
    Effect.gen(function* () {
      const client = yield* clientAs(alice)
      yield* client.sample["sample.task.create"]({
        payload: { id: "i-3", title: "A" },
        headers: { "idempotency-key": "key-3" }
      })
      const error = yield* Effect.flip(
        client.sample["sample.task.create"]({
          payload: { id: "i-3", title: "B" },
          headers: { "idempotency-key": "key-3" }
        })
      )
      assert.strictEqual(error._tag, "IdempotencyKeyReused")
    })
  )

  it.effect("keys are scoped by organization", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const asAlice = yield* clientAs(alice)
      const asBob = yield* clientAs(bob)
      const request = { payload: { id: "i-4", title: "Shared key" }, headers: { "idempotency-key": "key-4" } }
      const fromAlice = yield* asAlice.sample["sample.task.create"](request)
      const fromBob = yield* asBob.sample["sample.task.create"](request)
      assert.strictEqual(fromAlice.createdBy, "alice")
      assert.strictEqual(fromBob.createdBy, "bob")
      assert.deepStrictEqual(yield* count(sql, "i-4"), { tasks: 2, events: 2 })
    })
  )

  it.effect("concurrent retries: one runs, the other waits and replays", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const client = yield* clientAs(alice)
      const call = client.sample["sample.task.create"]({
        payload: { id: "i-5", title: "Race" },
        headers: { "idempotency-key": "key-5" }
      })
      const [a, b] = yield* Effect.all([call, call], { concurrency: 2 })
      assert.deepStrictEqual(a, b)
      assert.deepStrictEqual(yield* count(sql, "i-5"), { tasks: 1, events: 1 })
    })
  )
})
