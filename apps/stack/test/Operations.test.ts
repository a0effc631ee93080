/**
 * The stack as an operator meets it, as a real process: one trace from a CRM request into the
 * learning journey's handling of its event (captured by a real OTLP/HTTP receiver on loopback),
 * `/metrics`, JSON logs that carry no secret, readiness that turns when a consumer lags, a
 * graceful shutdown that lets an in-flight request finish (and says what it cut when the grace
 * period is over), and start-up failures that say what to do.
 */
import { execFile } from "node:child_process"
import { createServer, type IncomingMessage, type Server } from "node:http"
import * as Net from "node:net"
import { assert, layer } from "@effect/vitest"
import * as Auth from "@tessera/contract-server/Auth"
import * as TestDatabase from "@tessera/test-harness/TestDatabase"
import { Deferred, Duration, Effect, Fiber, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import { eventually, freePort, type Running, script, spawnProcess, waitFor } from "./support/Processes.ts"

const main = script("apps/stack/src/main.ts")

const AUTH_SECRET = "operations-test-secret-0123456789abcdef-never-logged"
const DB_PASSWORD = "db-password-never-logged-4a7f"

/** The test database's URL with a password in it (the test server trusts loopback, so any password connects). */
const urlWithPassword = (url: Redacted.Redacted<string>) => {
  const parsed = new URL(Redacted.value(url))
  parsed.password = DB_PASSWORD
  return parsed.toString()
}

// --- an OTLP/HTTP receiver (JSON) ------------------------------------------------------------------

interface OtlpSpan {
  readonly traceId: string
  readonly spanId: string
  readonly parentSpanId?: string | undefined
  readonly name: string
  readonly kind: number
  readonly attributes: ReadonlyArray<{ readonly key: string; readonly value: Record<string, unknown> }>
}

interface Receiver {
  readonly port: number
  readonly spans: () => ReadonlyArray<OtlpSpan & { readonly service: string }>
  readonly requests: () => number
}

const readBody = (request: IncomingMessage) =>
  new Promise<string>((resolve) => {
    let body = ""
    request.setEncoding("utf8")
    request.on("data", (chunk: string) => {
      body += chunk
    })
    request.on("end", () => resolve(body))
  })

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null

/** A real OTLP/HTTP receiver on loopback, keeping every span it is sent (`/v1/traces`, JSON). */
const otlpReceiver = Effect.acquireRelease(
  Effect.callback<{ server: Server; receiver: Receiver }>((resume) => {
    const collected: Array<OtlpSpan & { service: string }> = []
    let requests = 0
    const server = createServer((request, response) => {
      void readBody(request).then((body) => {
        requests++
        if (request.url === "/v1/traces" && (request.headers["content-type"] ?? "").includes("json")) {
          const parsed: unknown = JSON.parse(body)
          const resourceSpans = isRecord(parsed) && Array.isArray(parsed.resourceSpans) ? parsed.resourceSpans : []
          for (const resourceSpan of resourceSpans) {
            const attributes: Array<unknown> = resourceSpan?.resource?.attributes ?? []
            const serviceAttribute = attributes.find((a) => isRecord(a) && a.key === "service.name")
            const service =
              isRecord(serviceAttribute) && isRecord(serviceAttribute.value)
                ? String(serviceAttribute.value.stringValue)
                : ""
            for (const scopeSpan of resourceSpan?.scopeSpans ?? []) {
              for (const span of scopeSpan?.spans ?? []) collected.push({ ...span, service })
            }
          }
        }
        response.writeHead(200, { "content-type": "application/json" })
        response.end("{}")
      })
    })
    server.listen({ port: 0, host: "127.0.0.1" }, () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      resume(Effect.succeed({ server, receiver: { port, spans: () => [...collected], requests: () => requests } }))
    })
  }),
  ({ server }) =>
    Effect.callback<void>((resume) => {
      server.close(() => resume(Effect.void))
      server.closeAllConnections()
    })
).pipe(Effect.map(({ receiver }) => receiver))

// --- HTTP helpers ----------------------------------------------------------------------------------

const request = (port: number, path: string, init: RequestInit = {}) =>
  Effect.promise(async () => {
    const response = await fetch(`http://127.0.0.1:${port}${path}`, init)
    return { status: response.status, text: await response.text(), headers: response.headers }
  })

const post = (port: number, path: string, token: string, body: unknown) =>
  request(port, path, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body)
  })

const PIPELINE = {
  name: "Sales",
  stages: [
    { name: "Lead", probability: 10 },
    { name: "Proposal", probability: 50 },
    { name: "Won", probability: 100, isWon: true }
  ]
}

const mint = (userId: string, organizationId: string) =>
  Auth.make(Redacted.make(AUTH_SECRET)).mint({ userId, organizationId, roles: ["admin"] })

/** `name{labels} value` lines of a Prometheus text answer. */
const sample = (text: string, name: string, labels: Record<string, string>) => {
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`)) continue
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.split(" ").pop())
  }
  return undefined
}

const stopWith = (stack: Running, signal: NodeJS.Signals) =>
  Effect.gen(function* () {
    stack.child.kill(signal)
    return yield* stack.exited
  })

layer(TestDatabase.layer(), { excludeTestServices: true })("operating the stack", (it) => {
  it.effect(
    "one trace from a CRM request into the learning journey's handling; /metrics; JSON logs without secrets; readiness turns on lag",
    () =>
      Effect.gen(function* () {
        const database = yield* TestDatabase.TestDatabase
        const sql = yield* SqlClient.SqlClient
        const receiver = yield* otlpReceiver
        const port = yield* freePort
        const stack = yield* spawnProcess(main, {
          DATABASE_URL: urlWithPassword(database.url),
          PORT: String(port),
          TESSERA_AUTH_SECRET: AUTH_SECRET,
          TESSERA_LOG_FORMAT: "json",
          TESSERA_LOG_LEVEL: "debug",
          TESSERA_HTTP_LOG: "true",
          TESSERA_READY_MAX_LAG: "1 second",
          TESSERA_DISPATCH_HEALTH_MAX_AGE: "1 second",
          OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${receiver.port}`,
          OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
          OTEL_BSP_SCHEDULE_DELAY: "200",
          OTEL_SERVICE_NAME: "tessera-under-test"
        })
        yield* waitFor(stack, "is up at")
        const ready = yield* request(port, "/health/ready")
        assert.strictEqual(ready.status, 200, ready.text)

        // A consumer nobody runs: its deliveries only pile up (readiness must notice).
        yield* sql`
          INSERT INTO dispatch.subscriptions (event_type, consumer, backfill_to, backfilled_through)
          VALUES ('pipeline.created', 'test.stalled', 0, 0) ON CONFLICT DO NOTHING`

        const token = yield* mint("trace-user", "trace-org")
        const created = yield* post(port, "/crm/pipeline/create", token, PIPELINE)
        assert.strictEqual(created.status, 200, created.text)
        const rejected = yield* post(port, "/crm/pipeline/create", `${token}x`, PIPELINE)
        assert.strictEqual(rejected.status, 401)

        // The receiver gets the request's spans and the consumer's, in one trace.
        const consumed = yield* eventually(
          Effect.sync(() => receiver.spans().find((span) => span.name === "consume learning.progress pipeline.created"))
        )
        const spans = receiver.spans().filter((span) => span.traceId === consumed.traceId)
        const byId = new Map(spans.map((span) => [span.spanId, span]))
        const chain: Array<string> = []
        const described: Array<string> = []
        let current: (typeof spans)[number] | undefined = consumed
        while (current !== undefined) {
          chain.push(current.name)
          described.push(
            `${current.name}  [span ${current.spanId}, parent ${current.parentSpanId || "none"}, ${current.service}]`
          )
          current = current.parentSpanId ? byId.get(current.parentSpanId) : undefined
        }
        yield* Effect.logInfo(
          `the cross-domain trace ${consumed.traceId} (${spans.length} spans), from the consumer up to the root:\n  ${described.join("\n  ← ")}`
        )
        assert.strictEqual(chain[0], "consume learning.progress pipeline.created")
        assert.strictEqual(chain[1], "outbox.publish")
        assert.include(chain, "contract crm.pipeline.create")
        assert.strictEqual(chain[chain.length - 1], "POST /crm/pipeline/create")
        const root = spans.find((span) => span.name === "POST /crm/pipeline/create")
        assert.isDefined(root)
        assert.isTrue(root?.parentSpanId === undefined || root.parentSpanId === "")
        assert.strictEqual(consumed.service, "tessera-under-test")
        // The handler and its SQL are in the trace too.
        assert.isTrue(spans.some((span) => span.name === "handler crm.pipeline.create"))
        assert.isTrue(spans.some((span) => span.name.startsWith("sql.")))
        assert.isTrue(
          spans.some((span) => span.parentSpanId === consumed.spanId),
          "the consumer's own statements are its children"
        )

        // Metrics.
        const metrics = yield* request(port, "/metrics")
        assert.strictEqual(metrics.status, 200)
        assert.include(metrics.headers.get("content-type") ?? "", "text/plain")
        assert.strictEqual(
          sample(metrics.text, "tessera_http_requests_total", { contract: "crm.pipeline.create", status: "200" }),
          1
        )
        assert.strictEqual(
          sample(metrics.text, "tessera_http_requests_total", { contract: "crm.pipeline.create", status: "401" }),
          1
        )
        assert.isDefined(
          sample(metrics.text, "tessera_http_request_duration_seconds_bucket", { contract: "crm.pipeline.create" })
        )
        assert.strictEqual(
          sample(metrics.text, "tessera_events_published_total", { event_type: "pipeline.created", producer: "crm" }),
          1
        )
        assert.strictEqual(
          sample(metrics.text, "tessera_dispatch_handler_runs_total", {
            consumer: "learning.progress",
            outcome: "handled"
          }),
          1
        )
        assert.strictEqual(sample(metrics.text, "tessera_dispatch_pending", { consumer: "test.stalled" }), 1)
        assert.isDefined(sample(metrics.text, "tessera_db_pool_connections", { pool: "tessera" }))
        assert.strictEqual(sample(metrics.text, "tessera_db_pool_max_connections", { pool: "tessera-dispatch" }), 20)
        yield* Effect.logInfo(
          `a /metrics excerpt:\n${metrics.text
            .split("\n")
            .filter((line) => /crm\.pipeline\.create.*status="200"|pipeline\.created|test\.stalled|pool=/.test(line))
            .filter((line) => !line.includes("_bucket") || line.includes('le="0.1"'))
            .join("\n")}`
        )

        // Readiness and the summary notice the stalled consumer once it lags past the threshold.
        const notReady = yield* eventually(
          Effect.map(request(port, "/health/ready"), (answer) => (answer.status === 503 ? answer : undefined))
        )
        assert.include(notReady.text, "test.stalled lags")
        const summary = yield* request(port, "/health")
        assert.strictEqual(summary.status, 200)
        assert.include(summary.text, '"status":"degraded"')
        assert.include(summary.text, '"consumer":"test.stalled","lag":1')
        const live = yield* request(port, "/health/live")
        assert.strictEqual(live.status, 200)
        const wrongMethod = yield* request(port, "/health/ready", { method: "POST" })
        assert.strictEqual(wrongMethod.status, 405)
        assert.strictEqual((yield* request(port, "/metrics", { method: "DELETE" })).status, 405)
        yield* sql`DELETE FROM dispatch.deliveries WHERE consumer = 'test.stalled'`
        yield* sql`DELETE FROM dispatch.subscriptions WHERE consumer = 'test.stalled'`

        // The workers polled all along (every second per lane): none of that background SQL became a trace.
        const backgroundRoots = receiver.spans().filter((span) => span.name.startsWith("sql.") && !span.parentSpanId)
        assert.deepStrictEqual(
          backgroundRoots.map((span) => span.name),
          []
        )

        const exit = yield* stopWith(stack, "SIGTERM")
        assert.strictEqual(exit.code, 0)
        // Logs: JSON, one object a line, and no secret anywhere in them.
        const output = stack.output()
        const lines = output.split("\n").filter((line) => line.trim() !== "")
        assert.isAbove(lines.length, 5)
        for (const line of lines) assert.doesNotThrow(() => JSON.parse(line), undefined, `not JSON: ${line}`)
        assert.notInclude(output, AUTH_SECRET)
        assert.notInclude(output, DB_PASSWORD)
        assert.notInclude(output, token)
        assert.notInclude(output, token.split(".")[2] ?? token)
      }),
    { timeout: 180_000 }
  )

  it.effect(
    "SIGTERM lets an in-flight request finish, then stops; past TESSERA_SHUTDOWN_GRACE it says what it cut",
    () =>
      Effect.gen(function* () {
        const database = yield* TestDatabase.TestDatabase
        const sql = yield* SqlClient.SqlClient
        const token = yield* mint("shutdown-user", "shutdown-org")

        /** Holds the CRM's pipelines table locked until `release`, so a create waits in flight. */
        const holdLock = Effect.gen(function* () {
          const locked = yield* Deferred.make<void>()
          const release = yield* Deferred.make<void>()
          const holder = yield* Effect.forkChild(
            sql.withTransaction(
              Effect.gen(function* () {
                yield* sql`LOCK TABLE crm.pipelines IN ACCESS EXCLUSIVE MODE`
                yield* Deferred.succeed(locked, undefined)
                yield* Deferred.await(release)
              })
            )
          )
          yield* Deferred.await(locked)
          return { release: Effect.andThen(Deferred.succeed(release, undefined), Fiber.join(holder)) }
        })

        const run = (grace: string) =>
          Effect.gen(function* () {
            const port = yield* freePort
            const stack = yield* spawnProcess(main, {
              DATABASE_URL: Redacted.value(database.url),
              PORT: String(port),
              TESSERA_AUTH_SECRET: AUTH_SECRET,
              TESSERA_SHUTDOWN_GRACE: grace
            })
            yield* waitFor(stack, "is up at")
            const lock = yield* holdLock
            const inFlight = yield* Effect.forkChild(post(port, "/crm/pipeline/create", token, PIPELINE))
            // The request is waiting on the lock once its INSERT shows as waiting in pg_stat_activity.
            yield* eventually(
              Effect.map(
                sql<{
                  n: number
                }>`SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`,
                (rows) => ((rows[0]?.n ?? 0) > 0 ? true : undefined)
              )
            )
            stack.child.kill("SIGTERM")
            yield* waitFor(stack, "Shutting down")
            return { stack, lock, inFlight, port }
          })

        // Within the grace period: the request finishes, then the process stops.
        const patient = yield* run("30 seconds")
        assert.include(patient.stack.output(), "1 request(s) in flight")
        // No new connection is accepted while it drains.
        const refused = yield* Effect.promise(
          () =>
            new Promise<boolean>((resolve) => {
              const socket = Net.connect(patient.port, "127.0.0.1")
              socket.once("connect", () => {
                socket.destroy()
                resolve(false)
              })
              socket.once("error", () => resolve(true))
            })
        )
        assert.isTrue(refused, "the port no longer accepts connections")
        yield* Effect.sleep(Duration.millis(500))
        yield* patient.lock.release
        const answer = yield* Fiber.join(patient.inFlight)
        assert.strictEqual(answer.status, 200, answer.text)
        const exit = yield* patient.stack.exited
        assert.strictEqual(exit.code, 0)
        assert.include(patient.stack.output(), "every in-flight request finished")

        // Past the grace period: the request is cut, and the log says which.
        const impatient = yield* run("1 second")
        yield* waitFor(impatient.stack, "cut short")
        assert.include(impatient.stack.output(), "1 request(s) cut short: POST /crm/pipeline/create")
        yield* impatient.lock.release
        const cutExit = yield* impatient.stack.exited
        assert.notStrictEqual(cutExit.signal, "SIGKILL")
        yield* Fiber.await(impatient.inFlight)
      }),
    { timeout: 180_000 }
  )

  it.effect(
    "a command-line tool logs to stderr: pnpm seed's stdout is its report and token only",
    () =>
      Effect.gen(function* () {
        const database = yield* TestDatabase.TestDatabase
        const { stdout, stderr } = yield* Effect.callback<{ stdout: string; stderr: string }>((resume) => {
          execFile(
            process.execPath,
            [script("apps/stack/src/seed.ts"), "--org", "cli-logs-org"],
            { env: { ...process.env, DATABASE_URL: Redacted.value(database.url) } },
            (error, stdout, stderr) =>
              resume(
                error === null ? Effect.succeed({ stdout, stderr }) : Effect.die(`seed failed:\n${stdout}${stderr}`)
              )
          )
        })
        assert.include(stdout, "export TOKEN=")
        assert.notInclude(stdout, "Migrated schema")
        assert.notMatch(stdout, / (INFO|WARN|ERROR) /)
        // Its logs are on stderr (the seed's HTTP server announces itself there).
        assert.include(stderr, "Listening on")
      }),
    { timeout: 180_000 }
  )

  it.effect(
    "start-up failures say what to do: bad configuration, production without a secret, database refused",
    () =>
      Effect.gen(function* () {
        const database = yield* TestDatabase.TestDatabase
        const url = Redacted.value(database.url)
        const failsWith = (env: Record<string, string>, message: string) =>
          Effect.gen(function* () {
            const stack = yield* spawnProcess(main, env)
            const exit = yield* stack.exited
            assert.strictEqual(exit.code, 1, stack.output())
            assert.include(stack.output(), `Tessera could not start: ${message}`)
            assert.notInclude(stack.output(), "    at ")
            return stack.output()
          })
        yield* failsWith(
          { DATABASE_URL: url, PORT: "abc" },
          'invalid configuration: PORT is "abc"; expected a port number from 0 to 65535'
        )
        yield* failsWith(
          { DATABASE_URL: url, PORT: "0", TESSERA_SHUTDOWN_GRACE: "soon" },
          'invalid configuration: TESSERA_SHUTDOWN_GRACE is "soon"; expected a duration'
        )
        yield* failsWith(
          { DATABASE_URL: url, PORT: "0", TESSERA_LOG_FORMAT: "xml" },
          'invalid configuration: TESSERA_LOG_FORMAT is "xml"; expected pretty or json'
        )
        yield* failsWith(
          { DATABASE_URL: url, PORT: "0", TESSERA_DISPATCH_CONCURRENCY: "many" },
          'invalid configuration: TESSERA_DISPATCH_CONCURRENCY is "many"'
        )
        const unparseable = yield* failsWith(
          { DATABASE_URL: `not a url ${DB_PASSWORD}`, PORT: "0" },
          "invalid configuration: DATABASE_URL is not valid; expected a URL such as postgres://user:password@host:5432/database"
        )
        assert.notInclude(unparseable, DB_PASSWORD)
        yield* failsWith(
          { DATABASE_URL: url, PORT: "0", TESSERA_ENV: "production", TESSERA_AUTH_SECRET: "" },
          "TESSERA_AUTH_SECRET is required when TESSERA_ENV=production"
        )
        const closed = yield* freePort
        const refused = yield* failsWith(
          { DATABASE_URL: `postgres://app:${DB_PASSWORD}@127.0.0.1:${closed}/tessera`, PORT: "0" },
          `cannot connect to PostgreSQL at 127.0.0.1:${closed}, database "tessera": connection refused`
        )
        assert.notInclude(refused, DB_PASSWORD)
      }),
    { timeout: 180_000 }
  )
})
