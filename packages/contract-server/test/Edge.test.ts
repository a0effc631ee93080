/**
 * The HTTP edge: what a caller's malformed, hostile or unlucky request answers. Every case here is
 * a 4xx (or a 503) with a problem+json body; none reaches the database as a 500.
 */
import { assert, describe, it, layer } from "@effect/vitest"
import { ServiceUnavailable } from "@tessera/contract-kit/ContractError"
import { Cause, Effect, Logger } from "effect"
import { HttpClient, HttpClientRequest, type HttpClientResponse } from "effect/http"
import { SqlError } from "effect/sql"
import * as Failures from "../src/Failures.ts"
import * as SampleApp from "./fixtures/SampleApp.ts"
import * as TestServer from "./fixtures/TestServer.ts"
import { alice, auth } from "./fixtures/TestServer.ts"

const send = (
  method: "GET" | "POST" | "PUT" | "DELETE" | "PATCH",
  url: string,
  options: { body?: string; contentType?: string; token?: string; headers?: Record<string, string> } = {}
) =>
  Effect.gen(function* () {
    const http = yield* HttpClient.HttpClient
    let request = HttpClientRequest.make(method)(url)
    if (options.token !== undefined) request = HttpClientRequest.bearerToken(request, options.token)
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      request = HttpClientRequest.setHeader(request, name, value)
    }
    if (options.body !== undefined) {
      request = HttpClientRequest.bodyText(request, options.body, options.contentType ?? "application/json")
    }
    const response = yield* http.execute(request)
    const text = yield* response.text
    return { status: response.status, headers: response.headers, text }
  })

const assertProblem = (
  answer: {
    readonly status: number
    readonly headers: HttpClientResponse.HttpClientResponse["headers"]
    readonly text: string
  },
  status: number,
  code: string
) => {
  assert.strictEqual(answer.status, status, answer.text)
  assert.match(answer.headers["content-type"] ?? "", /^application\/problem\+json/)
  const body = JSON.parse(answer.text)
  assert.strictEqual(body.status, status)
  assert.strictEqual(body.code, code)
  assert.notProperty(body, "_tag")
  return body
}

layer(TestServer.layer(SampleApp.routes), { excludeTestServices: true })("HTTP edge", (it) => {
  it.effect("authentication comes before decoding: no token, no schema issues", () =>
    Effect.gen(function* () {
      const answer = yield* send("POST", "/sample/task/complete", { body: `{"taskId":5}` })
      const body = assertProblem(answer, 401, "UNAUTHENTICATED")
      assert.notProperty(body, "issues")
    })
  )

  it.effect("404 and 405 (with Allow) as problem+json; exact paths only", () =>
    Effect.gen(function* () {
      assertProblem(yield* send("GET", "/no/such/path"), 404, "NOT_FOUND")
      const wrongMethod = yield* send("DELETE", "/sample/task/create")
      assertProblem(wrongMethod, 405, "METHOD_NOT_ALLOWED")
      assert.strictEqual(wrongMethod.headers.allow, "POST")
      const token = yield* auth.mint(alice)
      for (const path of [
        "/SAMPLE/TASK/GET",
        "//sample/task/get",
        "/sample//task/get",
        "/sample/task/get/",
        "/sample/task/get;jsessionid=1",
        "/sample/x/../task/get",
        "/sample/./task/get"
      ]) {
        const answer = yield* send("POST", path, { token, body: `{"taskId":"t"}` })
        assert.strictEqual(answer.status, 404, path)
        assert.match(answer.headers["content-type"] ?? "", /problem\+json/, path)
      }
    })
  )

  it.effect("415: a body not declared as JSON; 400 problem for an over-long Idempotency-Key", () =>
    Effect.gen(function* () {
      const token = yield* auth.mint(alice)
      assertProblem(
        yield* send("POST", "/sample/task/get", { token, body: `{"taskId":"t"}`, contentType: "text/plain" }),
        415,
        "UNSUPPORTED_MEDIA_TYPE"
      )
      assertProblem(
        yield* send("POST", "/sample/task/create", {
          token,
          body: `{"id":"k","title":"t"}`,
          headers: { "idempotency-key": "k".repeat(256) }
        }),
        400,
        "INVALID_INPUT"
      )
    })
  )

  it.effect(
    "edge checks shared by every contract: NUL, lone surrogates, impossible dates, huge integers, deep nesting",
    () =>
      Effect.gen(function* () {
        const token = yield* auth.mint(alice)
        const deep = `${"[".repeat(5000)}${"]".repeat(5000)}`
        for (const body of [
          `{"id":"a\\u0000b","title":"t"}`,
          `{"id":"a","title":"\\ud800"}`,
          `{"id":"2026-02-30T25:61:00Z","title":"t"}`,
          `{"id":"a","title":"t","extra":9007199254740993}`,
          `{"id":"a","title":${deep}}`
        ]) {
          const answer = yield* send("POST", "/sample/task/create", { token, body })
          assertProblem(answer, 400, "INVALID_INPUT")
        }
      })
  )

  it.effect("Idempotency-Key works on every command (replay the stored answer; another body is 422)", () =>
    Effect.gen(function* () {
      const token = yield* auth.mint(alice)
      const created = yield* send("POST", "/sample/task/create", { token, body: `{"id":"idem-1","title":"t"}` })
      assert.strictEqual(created.status, 200, created.text)
      // sample.task.complete is not declared `idempotent`: the key still works.
      const headers = { "idempotency-key": "complete-1" }
      const first = yield* send("POST", "/sample/task/complete", { token, body: `{"taskId":"idem-1"}`, headers })
      const retry = yield* send("POST", "/sample/task/complete", { token, body: `{"taskId":"idem-1"}`, headers })
      assert.strictEqual(first.status, 200, first.text)
      assert.strictEqual(retry.status, 200, retry.text)
      assert.strictEqual(retry.headers["idempotent-replayed"], "true")
      assert.deepStrictEqual(JSON.parse(retry.text), JSON.parse(first.text))
      const other = yield* send("POST", "/sample/task/complete", { token, body: `{"taskId":"idem-2"}`, headers })
      assertProblem(other, 422, "IDEMPOTENCY_KEY_REUSED")
    })
  )

  it.effect("a junk traceparent is ignored, not a failure", () =>
    Effect.gen(function* () {
      const token = yield* auth.mint(alice)
      const answer = yield* send("POST", "/sample/task/create", {
        token,
        body: `{"id":"trace-1","title":"t"}`,
        headers: { traceparent: "junk" }
      })
      assert.strictEqual(answer.status, 200, answer.text)
    })
  )
})

describe("Failures", () => {
  const connectionLost = new SqlError.SqlError({
    reason: new SqlError.ConnectionError({ cause: new Error("ECONNREFUSED"), message: "connect ECONNREFUSED" })
  })

  it("a lost database is a 503 with Retry-After, not a 500", () => {
    const classified = Failures.classify(Cause.die(connectionLost))
    assert.strictEqual(classified._tag, "Unavailable")
    const error = Failures.answerOf(classified)
    assert.instanceOf(error, ServiceUnavailable)
  })

  it("a value PostgreSQL refuses as data (SQLSTATE 22) is the caller's 400", () => {
    const refused = new SqlError.SqlError({
      reason: new SqlError.UnknownError({ cause: { code: "22P05", message: "unsupported Unicode escape sequence" } })
    })
    assert.strictEqual(Failures.classify(Cause.fail(refused))._tag, "Data")
  })

  it.effect("an outage logs one line per failure class and interval, not one trace per request", () => {
    const lines: Array<string> = []
    const collect = Logger.make((options) => {
      lines.push(String(options.message))
    })
    return Effect.gen(function* () {
      const log = Failures.makeLogger()
      const cause = Cause.die(connectionLost)
      const classified = Failures.classify(cause)
      for (let i = 0; i < 100; i++) yield* log("sample.task.get", classified, cause, {})
      assert.strictEqual(lines.length, 1)
      assert.include(lines[0], "database unavailable (ConnectionError)")
    }).pipe(Effect.provide(Logger.layer([collect])))
  })
})
