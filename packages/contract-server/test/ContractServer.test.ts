import { assert, layer } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { HttpClient, HttpClientRequest } from "effect/http"
import { SqlClient } from "effect/sql"
import * as SampleApp from "./fixtures/SampleApp.ts"
import * as TestServer from "./fixtures/TestServer.ts"
import { admin, alice, auth, bob, clientAs } from "./fixtures/TestServer.ts"

/** A raw POST, for what the typed client would refuse to send. */
const post = (path: string, body: unknown, token?: string) =>
  Effect.gen(function* () {
    const http = yield* HttpClient.HttpClient
    return yield* http.execute(
      HttpClientRequest.post(path).pipe(
        HttpClientRequest.bodyJsonUnsafe(body),
        token === undefined ? (request) => request : HttpClientRequest.bearerToken(token)
      )
    )
  })

layer(TestServer.layer(SampleApp.routes), { excludeTestServices: true })("ContractServer pipeline", (it) => {
  it.effect("create-task-happy-path: the output, the event and the audit row, through the derived client", () =>
    Effect.gen(function* () {
      const client = yield* clientAs(alice)
      const task = yield* client.sample["sample.task.create"]({
        payload: { id: "t-1", title: "Write tests" },
        headers: {}
      })
      assert.deepStrictEqual(task, { id: "t-1", title: "Write tests", status: "open", createdBy: "alice" })
      const sql = yield* SqlClient.SqlClient
      const events = yield* sql`
        SELECT event_type, event_version, producer, organization_id, subject_type, subject_id, actor_id, payload
        FROM test_events.emitted_events`
      assert.deepStrictEqual(events, [
        {
          event_type: "task.created",
          event_version: 1,
          producer: "sample",
          organization_id: "org-a",
          subject_type: "task",
          subject_id: "t-1",
          actor_id: "alice",
          payload: { taskId: "t-1", title: "Write tests" }
        }
      ])
      const audit = yield* sql<{ readonly event_ids: ReadonlyArray<string> }>`
        SELECT contract_key, contract_version, action, actor_type, actor_id, organization_id, input, event_ids
        FROM contract_kit.audit_log`
      const [row] = audit
      assert.strictEqual(audit.length, 1)
      assert.deepInclude(row ?? {}, {
        contract_key: "sample.task.create",
        contract_version: "1.0.0",
        action: "sample.task.create",
        actor_type: "user",
        actor_id: "alice",
        organization_id: "org-a",
        input: { id: "t-1", title: "Write tests" }
      })
      assert.strictEqual(row?.event_ids.length, 1)
    })
  )

  it.effect("complete-task-happy-path and complete-task-twice: 200, then 409 as a typed error", () =>
    Effect.gen(function* () {
      const client = yield* clientAs(alice)
      yield* client.sample["sample.task.create"]({ payload: { id: "t-2", title: "Ship" }, headers: {} })
      const done = yield* client.sample["sample.task.complete"]({ payload: { taskId: "t-2" } })
      assert.strictEqual(done.status, "done")
      const again = yield* Effect.flip(client.sample["sample.task.complete"]({ payload: { taskId: "t-2" } }))
      assert.strictEqual(again._tag, "TaskAlreadyDone")
      if (again._tag === "TaskAlreadyDone") {
        assert.strictEqual(again.code, "TASK_ALREADY_DONE")
        assert.strictEqual(again.taskId, "t-2")
      }
    })
  )

  it.effect("404: a declared error is application/problem+json with status, code, title and detail", () =>
    Effect.gen(function* () {
      const response = yield* post("/sample/task/complete", { taskId: "missing" }, yield* auth.mint(alice))
      assert.strictEqual(response.status, 404)
      assert.strictEqual(response.headers["content-type"], "application/problem+json")
      const body = yield* response.json
      assert.deepInclude(body, {
        status: 404,
        code: "TASK_NOT_FOUND",
        title: "Task not found",
        detail: "No task missing",
        taskId: "missing"
      })
      const typed = yield* Effect.flip(
        Effect.flatMap(clientAs(alice), (client) =>
          client.sample["sample.task.get"]({ payload: { taskId: "missing" } })
        )
      )
      assert.strictEqual(typed._tag, "TaskNotFound")
    })
  )

  it.effect("tenancy: another organization does not see the task", () =>
    Effect.gen(function* () {
      const asAlice = yield* clientAs(alice)
      yield* asAlice.sample["sample.task.create"]({ payload: { id: "t-3", title: "Private" }, headers: {} })
      const asBob = yield* clientAs(bob)
      const error = yield* Effect.flip(asBob.sample["sample.task.get"]({ payload: { taskId: "t-3" } }))
      assert.strictEqual(error._tag, "TaskNotFound")
    })
  )

  it.effect("400: an unknown property is rejected, with the schema issues", () =>
    Effect.gen(function* () {
      const response = yield* post("/sample/task/create", { id: "x", title: "y", extra: 1 }, yield* auth.mint(alice))
      assert.strictEqual(response.status, 400)
      assert.strictEqual(response.headers["content-type"], "application/problem+json")
      const body = yield* response.json
      assert.deepInclude(body, { status: 400, code: "INVALID_INPUT", title: "Invalid input" })
      assert.deepInclude(body, { issues: [{ path: ["extra"], message: "Expected no excess property" }] })
    })
  )

  it.effect("400: every issue of a wrong input, and a body that is not JSON", () =>
    Effect.gen(function* () {
      const token = yield* auth.mint(alice)
      const wrong = yield* post("/sample/task/create", { id: 3, title: "" }, token)
      assert.strictEqual(wrong.status, 400)
      const body = yield* wrong.json
      assert.deepInclude(body, {
        issues: [
          { path: ["id"], message: "Expected string" },
          { path: ["title"], message: "Expected a value with a length of at least 1" }
        ]
      })
      const http = yield* HttpClient.HttpClient
      const notJson = yield* http.execute(
        HttpClientRequest.post("/sample/task/create").pipe(
          HttpClientRequest.bearerToken(token),
          HttpClientRequest.bodyText("{not json", "application/json")
        )
      )
      assert.strictEqual(notJson.status, 400)
      assert.deepInclude(yield* notJson.json, { code: "INVALID_INPUT", detail: "The request body is not valid JSON" })
    })
  )

  it.effect("401: no token, a malformed header, a bad signature, an expired token", () =>
    Effect.gen(function* () {
      const anonymous = yield* clientAs()
      const missing = yield* Effect.flip(anonymous.sample["sample.task.get"]({ payload: { taskId: "t-1" } }))
      assert.strictEqual(missing._tag, "Unauthenticated")

      const http = yield* HttpClient.HttpClient
      const malformed = yield* http.execute(
        HttpClientRequest.post("/sample/task/get").pipe(
          HttpClientRequest.setHeader("authorization", "Basic abc"),
          HttpClientRequest.bodyJsonUnsafe({ taskId: "t-1" })
        )
      )
      assert.strictEqual(malformed.status, 401)

      const forged = yield* TestServer.otherAuth.mint(alice)
      const badSignature = yield* post("/sample/task/get", { taskId: "t-1" }, forged)
      assert.strictEqual(badSignature.status, 401)
      assert.deepInclude(yield* badSignature.json, { code: "UNAUTHENTICATED", detail: "The bearer token is invalid" })

      const expired = yield* auth.mint(alice, { expiresIn: "-1 minute" })
      const late = yield* post("/sample/task/get", { taskId: "t-1" }, expired)
      assert.strictEqual(late.status, 401)
      assert.deepInclude(yield* late.json, { detail: "The bearer token has expired" })
    })
  )

  it.effect("403: an admin-only command refuses a user and serves an admin", () =>
    Effect.gen(function* () {
      const asAlice = yield* clientAs(alice)
      const denied = yield* Effect.flip(asAlice.sample["sample.task.purge"]({ payload: {} }))
      assert.strictEqual(denied._tag, "Forbidden")
      const asAdmin = yield* clientAs(admin)
      const purged = yield* asAdmin.sample["sample.task.purge"]({ payload: {} })
      assert.isAtLeast(purged.deleted, 0)
    })
  )

  it.effect("anonymous policy: served without a token; a token still identifies the caller", () =>
    Effect.gen(function* () {
      const anonymous = yield* clientAs()
      assert.deepStrictEqual(yield* anonymous.sample["sample.status.ping"]({ payload: { echo: "hi" } }), {
        pong: true,
        echo: "hi"
      })
      const asAlice = yield* clientAs(alice)
      assert.deepStrictEqual(yield* asAlice.sample["sample.status.ping"]({ payload: {} }), {
        pong: true,
        caller: "alice"
      })
    })
  )

  it.effect("anonymous policy: a bad token is still a 401", () =>
    Effect.gen(function* () {
      const response = yield* post("/sample/status/ping", {}, "not-a-jwt")
      assert.strictEqual(response.status, 401)
    })
  )

  it.effect("correlation and causation ids from the request reach the emitted events and the audit row", () =>
    Effect.gen(function* () {
      const http = yield* HttpClient.HttpClient
      const response = yield* http.execute(
        HttpClientRequest.post("/sample/task/create").pipe(
          HttpClientRequest.bearerToken(yield* auth.mint(alice)),
          HttpClientRequest.setHeaders({ "x-correlation-id": "corr-42", "x-causation-id": "evt-7" }),
          HttpClientRequest.bodyJsonUnsafe({ id: "t-corr", title: "Correlated" })
        )
      )
      assert.strictEqual(response.status, 200)
      const sql = yield* SqlClient.SqlClient
      const events = yield* sql`
        SELECT correlation_id, causation_id FROM test_events.emitted_events WHERE subject_id = 't-corr'`
      assert.deepStrictEqual(events, [{ correlation_id: "corr-42", causation_id: "evt-7" }])
      const audit = yield* sql`SELECT correlation_id FROM contract_kit.audit_log WHERE input->>'id' = 't-corr'`
      assert.deepStrictEqual(audit, [{ correlation_id: "corr-42" }])
    })
  )

  it.effect("413: a body over the limit is refused before it is decoded or authenticated", () =>
    Effect.gen(function* () {
      const response = yield* post("/sample/task/create", { id: "big", title: "x".repeat(TestServer.MAX_BODY_BYTES) })
      assert.strictEqual(response.status, 413)
      assert.deepInclude(yield* response.json, {
        status: 413,
        code: "PAYLOAD_TOO_LARGE",
        limit: TestServer.MAX_BODY_BYTES
      })
    })
  )

  it.effect("request ids: echoed when sane, generated otherwise, and in every problem", () =>
    Effect.gen(function* () {
      const http = yield* HttpClient.HttpClient
      const response = yield* http.execute(
        HttpClientRequest.post("/sample/status/ping").pipe(
          HttpClientRequest.setHeader("x-request-id", "req-123"),
          HttpClientRequest.bodyJsonUnsafe({})
        )
      )
      assert.strictEqual(response.headers["x-request-id"], "req-123")
      const problem = yield* post("/sample/task/get", {})
      assert.match(problem.headers["x-request-id"] ?? "", /^[0-9a-f-]{36}$/)
      assert.deepInclude(yield* problem.json, { instance: problem.headers["x-request-id"] })
    })
  )

  it.effect("list-open-tasks: a GET query takes its input from the query string", () =>
    Effect.gen(function* () {
      const client = yield* clientAs(bob)
      for (const id of ["l-1", "l-2", "l-3"]) {
        yield* client.sample["sample.task.create"]({ payload: { id, title: `Task ${id}` }, headers: {} })
      }
      yield* client.sample["sample.task.complete"]({ payload: { taskId: "l-2" } })
      const open = yield* client.sample["sample.task.list"]({ payload: { status: "open" } })
      assert.deepStrictEqual(
        open.tasks.map((task) => task.id),
        ["l-1", "l-3"]
      )
      const http = yield* HttpClient.HttpClient
      const token = yield* auth.mint(bob)
      const get = (query: string) =>
        http.execute(HttpClientRequest.get(`/sample/task/list?${query}`).pipe(HttpClientRequest.bearerToken(token)))
      const limited = yield* get("status=done&limit=1")
      assert.strictEqual(limited.status, 200)
      assert.deepStrictEqual(yield* limited.json, {
        tasks: [{ id: "l-2", title: "Task l-2", status: "done", createdBy: "bob" }]
      })
      const wrong = yield* get("limit=abc&colour=red")
      assert.strictEqual(wrong.status, 400)
      const body = yield* wrong.json
      assert.deepInclude(body, { code: "INVALID_INPUT" })
      const paths = Schema.decodeUnknownSync(
        Schema.Struct({
          issues: Schema.Array(Schema.Struct({ path: Schema.Array(Schema.Union([Schema.String, Schema.Number])) }))
        })
      )(body).issues.map((issue) => issue.path.join("."))
      assert.sameMembers(paths, ["limit", "colour"])
    })
  )

  it.effect("plain queries are not audited (and run outside a transaction)", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const before = yield* sql<{ readonly n: number }>`SELECT count(*)::int AS n FROM contract_kit.audit_log`
      const client = yield* clientAs(alice)
      yield* client.sample["sample.task.create"]({ payload: { id: "t-q", title: "Query me" }, headers: {} })
      yield* client.sample["sample.task.get"]({ payload: { taskId: "t-q" } })
      const after = yield* sql<{ readonly n: number }>`SELECT count(*)::int AS n FROM contract_kit.audit_log`
      assert.strictEqual(after[0]?.n, (before[0]?.n ?? 0) + 1)
    })
  )
})
