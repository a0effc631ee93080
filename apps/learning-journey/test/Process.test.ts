/**
 * The learning journey as its own process (`node src/main.ts`, what `pnpm start` runs), sharing
 * one Postgres with this test process, which plays the CRM: it publishes the CRM's events
 * through the outbox, and the app's process consumes them and answers over HTTP.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { createServer } from "node:net"
import * as Path from "node:path"
import { assert, layer } from "@effect/vitest"
import type { Principal } from "@tessera/contract-kit/Contract"
import * as ContractApi from "@tessera/contract-kit/ContractApi"
import * as ContractClient from "@tessera/contract-kit/ContractClient"
import * as Auth from "@tessera/contract-server/Auth"
import { catalog } from "@tessera/contracts/learning-journey/Catalog"
import { registry } from "@tessera/contracts/registry"
import * as Outbox from "@tessera/dispatcher/Outbox"
import type { AnyEventDefinition } from "@tessera/envelope/EventDefinition"
import { EventSink, type OutgoingEvent } from "@tessera/envelope/EventSink"
import * as Payload from "@tessera/envelope/Payload"
import * as TestDatabase from "@tessera/test-harness/TestDatabase"
import { Deferred, Effect, Layer, Redacted } from "effect"
import { FetchHttpClient, HttpClient } from "effect/http"
import { SqlClient } from "effect/sql"
import { consumes } from "../src/consumers/ProgressConsumer.ts"
import { CRM_FIRST_WIN_ID } from "../src/domain/CrmFirstWin.ts"
import { TrackRepository } from "../src/repositories/TrackRepository.ts"
import { installBuiltInTracks } from "../src/seed.ts"
import * as FirstWin from "./support/FirstWin.ts"

const main = Path.join(import.meta.dirname, "..", "src", "main.ts")
const SECRET = "learning-process-test-secret-0123456789"
const auth = Auth.make(Redacted.make(SECRET), "test")
const LearningApi = ContractApi.make("learning", catalog)
const ORG = "org_process"

const TestLayer = Layer.mergeAll(Outbox.layer(registry), TrackRepository.layer, FetchHttpClient.layer).pipe(
  Layer.provideMerge(TestDatabase.layer())
)

/** A port free right now (the app's `PORT` must be a real port, 1 to 65535). */
const freePort = Effect.callback<number>((resume) => {
  const server = createServer()
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    server.close(() => resume(Effect.succeed(port)))
  })
})

/** Starts the app's process on a free port; yields its base URL once it announced it is up. */
const startApp = (url: Redacted.Redacted<string>) =>
  Effect.gen(function* () {
    const port = yield* freePort
    const child = yield* Effect.acquireRelease(
      Effect.sync(() =>
        spawn(process.execPath, [main], {
          env: {
            ...process.env,
            DATABASE_URL: Redacted.value(url),
            PORT: String(port),
            TESSERA_AUTH_SECRET: SECRET,
            TESSERA_ENV: "test",
            TESSERA_DISPATCH_POLL_INTERVAL: "100 millis"
          },
          stdio: ["ignore", "pipe", "inherit"]
        })
      ),
      (child) => stop(child)
    )
    const up = yield* Deferred.make<string, string>()
    let output = ""
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8")
      const match = /\(health: (http:\/\/[^\s,]+)\/health[,)]/.exec(output)
      if (match?.[1] !== undefined) Deferred.doneUnsafe(up, Effect.succeed(match[1]))
    })
    child.once("exit", (code) =>
      Deferred.doneUnsafe(up, Effect.fail(`the app exited (${code}) before it was up:\n${output}`))
    )
    return yield* Deferred.await(up).pipe(
      Effect.timeoutOrElse({ duration: "60 seconds", orElse: () => Effect.fail("the app did not come up") })
    )
  })

const stop = (child: ChildProcess) =>
  Effect.callback<void>((resume) => {
    if (child.exitCode !== null || child.signalCode !== null) return resume(Effect.void)
    child.once("exit", () => resume(Effect.void))
    child.kill("SIGTERM")
  })

const waitFor = <E, R>(what: string, check: Effect.Effect<boolean, E, R>) =>
  Effect.gen(function* () {
    const deadline = Date.now() + 30_000
    for (;;) {
      if (yield* check) return
      if (Date.now() > deadline) return yield* Effect.fail(`timed out waiting for: ${what}`)
      yield* Effect.sleep("50 millis")
    }
  })

const crmEvent = <D extends AnyEventDefinition>(definition: D, json: unknown) =>
  Effect.map(Payload.decode(definition, json), (payload): OutgoingEvent => ({ definition, payload }))

layer(TestLayer, { excludeTestServices: true })("the learning journey in its own process", (it) => {
  it.effect("serves its contracts and follows the CRM's events published by another process", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const database = yield* TestDatabase.TestDatabase
        const baseUrl = yield* startApp(database.url)
        const sql = yield* SqlClient.SqlClient
        yield* waitFor(
          "the consumer's subscriptions",
          Effect.map(
            sql<{
              n: number
            }>`SELECT count(*)::int AS n FROM dispatch.subscriptions WHERE consumer = 'learning.progress'`,
            (rows) => rows[0]?.n === consumes.length
          )
        )
        yield* installBuiltInTracks(ORG)
        const health = yield* Effect.flatMap(HttpClient.HttpClient, (http) => http.get(`${baseUrl}/health`))
        assert.strictEqual(health.status, 200)
        assert.deepInclude(yield* health.json, { status: "ok", apps: ["learning"] })

        const clientAs = (principal: Principal) =>
          Effect.flatMap(auth.mint(principal), (token) => ContractClient.make(LearningApi, { baseUrl, token }))
        const ada = yield* clientAs({ userId: "ada", organizationId: ORG, roles: [] })
        const progress = Effect.map(
          ada.learning["learning.onboarding.getProgress"]({ payload: { trackId: CRM_FIRST_WIN_ID } }),
          ({ items }) => items[0]
        )
        assert.strictEqual((yield* progress)?.status, "not_started")

        // This process is the CRM: its handlers publish in their transactions.
        const sink = yield* EventSink
        const journey = FirstWin.firstWin({
          learner: "ada",
          ids: "p",
          amountMinor: 5000,
          at: [
            "2025-01-20T09:00:00.000Z",
            "2025-01-20T09:01:00.000Z",
            "2025-01-20T09:02:00.000Z",
            "2025-01-20T09:03:00.000Z",
            "2025-01-20T09:04:00.000Z",
            "2025-01-20T09:05:00.000Z",
            "2025-01-20T10:00:00.000Z",
            "2025-01-20T11:00:00.000Z"
          ]
        })
        // Published now (the outbox stamps the time), as the CRM's handlers publish them.
        const events = yield* Effect.forEach(journey, (event) => crmEvent(event.definition, event.json))
        for (const event of events) {
          yield* sql.withTransaction(
            sink.publish([event], {
              producer: "crm",
              organizationId: ORG,
              actor: { type: "user", id: "ada" },
              correlationId: "corr_process"
            })
          )
        }
        yield* waitFor(
          "ada's track to complete in the app's process",
          Effect.map(progress, (p) => p?.status === "completed")
        )
        const done = yield* progress
        assert.strictEqual(done?.xp, 700)
        assert.deepStrictEqual(done?.badges, ["crm-first-win"])

        // The seed's operation works over HTTP too: an admin records for a learner…
        const admin = yield* clientAs({ userId: "root", organizationId: ORG, roles: ["admin"] })
        const recorded = yield* admin.learning["learning.onboarding.recordEvent"]({
          payload: { learnerId: "cy", eventName: "pipeline.created", eventVersion: 1 }
        })
        assert.deepStrictEqual(recorded, { success: true })
        const cy = yield* admin.learning["learning.onboarding.getProgress"]({
          payload: { learnerId: "cy", trackId: CRM_FIRST_WIN_ID }
        })
        assert.strictEqual(cy.items[0]?.xp, 50)
        // …while a user may neither advance nor read a colleague's progress.
        const advance = yield* Effect.flip(
          ada.learning["learning.onboarding.recordEvent"]({
            payload: { learnerId: "cy", eventName: "pipeline.created", eventVersion: 1 }
          })
        )
        // (recording events is for services and admins: 403 before the learner is even looked at)
        assert.strictEqual(advance._tag, "Forbidden")
        const read = yield* Effect.flip(
          ada.learning["learning.onboarding.getProgress"]({ payload: { learnerId: "cy", trackId: CRM_FIRST_WIN_ID } })
        )
        assert.strictEqual(read._tag, "OtherLearner")
      })
    )
  )
})
