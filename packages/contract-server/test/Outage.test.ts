/**
 * A database outage, for real: the test's database refuses new connections and every open one is
 * terminated. Calls answer 503 with `Retry-After` (problem+json), not 500, and the log gets one
 * line for the failure class, not a trace per request. Once the database is back, calls succeed.
 */
import { PgClient } from "@effect/sql-pg"
import { assert, layer } from "@effect/vitest"
import * as TestDatabase from "@tessera/test-harness/TestDatabase"
import { Effect, Layer, Logger, Redacted } from "effect"
import { HttpClient, HttpClientRequest } from "effect/http"
import * as SampleApp from "./fixtures/SampleApp.ts"
import * as TestServer from "./fixtures/TestServer.ts"
import { alice, auth } from "./fixtures/TestServer.ts"

const lines: Array<string> = []
const collect = Logger.make((options) => {
  lines.push(String(options.message))
})

/** Runs `statement` on the server's `postgres` database (not the one being cut off). */
const asAdmin = (
  database: TestDatabase.TestDatabaseShape,
  statement: (sql: PgClient.PgClient) => Effect.Effect<unknown, unknown>
) => {
  const url = new URL(Redacted.value(database.url))
  url.pathname = "/postgres"
  return Effect.flatMap(PgClient.PgClient, statement).pipe(
    Effect.provide(PgClient.layer({ url: Redacted.make(url.toString()), maxConnections: 1 })),
    Effect.scoped,
    Effect.orDie
  )
}

// The server's fibers log through the logger its layer was built with: collect its lines.
const ServerWithCollectedLogs = TestServer.layer(SampleApp.routes).pipe(Layer.provide(Logger.layer([collect])))

layer(ServerWithCollectedLogs, { excludeTestServices: true })("database outage", (it) => {
  it.effect("503 with Retry-After while the database is gone, one log line per failure class, then back to 200", () =>
    Effect.gen(function* () {
      const database = yield* TestDatabase.TestDatabase
      const http = yield* HttpClient.HttpClient
      const token = yield* auth.mint(alice)
      const get = http.execute(
        HttpClientRequest.post("/sample/task/get").pipe(
          HttpClientRequest.bearerToken(token),
          HttpClientRequest.bodyText(`{"taskId":"none"}`, "application/json")
        )
      )
      assert.strictEqual((yield* get).status, 404)

      yield* asAdmin(database, (sql) =>
        Effect.andThen(
          sql`ALTER DATABASE ${sql(database.name)} ALLOW_CONNECTIONS false`,
          sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ${database.name}`
        )
      )
      const answers = yield* Effect.forEach(Array.from({ length: 20 }), () =>
        Effect.flatMap(get, (response) =>
          Effect.map(response.json, (body) => ({ status: response.status, headers: response.headers, body }))
        )
      )
      yield* asAdmin(database, (sql) => sql`ALTER DATABASE ${sql(database.name)} ALLOW_CONNECTIONS true`)

      for (const answer of answers) {
        assert.strictEqual(answer.status, 503, lines.join("\n"))
        assert.strictEqual(answer.headers["retry-after"], "5")
        assert.match(answer.headers["content-type"] ?? "", /^application\/problem\+json/)
        assert.deepInclude(answer.body, { code: "SERVICE_UNAVAILABLE", status: 503 })
      }
      // 20 failed calls, one line per failure class (a refused connection, a database not
      // accepting connections…): each class once, each a single line.
      const outageLines = lines.filter((line) => line.includes("database unavailable"))
      assert.isAtLeast(outageLines.length, 1, lines.join("\n"))
      assert.strictEqual(new Set(outageLines).size, outageLines.length, lines.join("\n"))
      assert.isAtMost(outageLines.length, 3, lines.join("\n"))
      for (const line of outageLines) assert.notInclude(line, "\n")

      // Back: the pool reconnects.
      const back = yield* Effect.eventually(Effect.filterOrFail(get, (response) => response.status === 404))
      assert.strictEqual(back.status, 404)
    })
  )
})
