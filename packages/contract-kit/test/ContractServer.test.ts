import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { HttpClient, HttpClientRequest } from "effect/http"
import { SqlClient } from "effect/sql"
import * as SampleApp from "./fixtures/SampleApp.ts"
import * as TestServer from "./fixtures/TestServer.ts"
import { alice, clientAs } from "./fixtures/TestServer.ts"

layer(TestServer.layer(SampleApp.routes), { excludeTestServices: true })("ContractServer pipeline", (it) => {
  it.effect("create-task-happy-path: the output, the event and the audit row", () =>
    Effect.gen(function* () {
      const client = yield* clientAs(alice)
      const task = yield* client.sample["sample.task.create"]({
        payload: { id: "t-1", title: "Write tests" },
        headers: {}
      })
      assert.deepStrictEqual(task, { id: "t-1", title: "Write tests", status: "open", createdBy: "alice" })
      const sql = yield* SqlClient.SqlClient
      const events =
        yield* sql`SELECT event_type, organization_id, subject_id, payload FROM contract_kit.emitted_events`
      assert.deepStrictEqual(events, [
        {
          event_type: "task.created",
          organization_id: "org-a",
          subject_id: "t-1",
          payload: { taskId: "t-1", title: "Write tests" }
        }
      ])
      const audit = yield* sql`SELECT contract_key, actor_id, organization_id, input FROM contract_kit.audit_log`
      assert.deepStrictEqual(audit, [
        {
          contract_key: "sample.task.create",
          actor_id: "alice",
          organization_id: "org-a",
          input: { id: "t-1", title: "Write tests" }
        }
      ])
    })
  )

  it.effect("400: an unknown property is rejected, with the schema issues as problem+json", () =>
    Effect.gen(function* () {
      const http = yield* HttpClient.HttpClient
      const response = yield* http.execute(
        HttpClientRequest.post("/sample/task/create").pipe(
          HttpClientRequest.bodyJsonUnsafe({ id: "x", title: "y", extra: 1 })
        )
      )
      assert.strictEqual(response.status, 400)
      assert.strictEqual(response.headers["content-type"], "application/problem+json")
      const body = yield* response.json
      assert.deepInclude(body, { status: 400, code: "INVALID_INPUT", title: "Invalid input" })
      assert.deepInclude(body, { issues: [{ path: ["extra"], message: "Expected no excess property" }] })
    })
  )
})
