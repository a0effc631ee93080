/**
 * The hub as real processes (`node src/main.ts`, what `pnpm start` runs) sharing one Postgres
 * with this test, which plays the user over HTTP and the remote API on loopback:
 *
 * - a process SIGKILLed in the middle of two runs (file → file, file → REST): a second process
 *   resumes both from their last checkpoints; the output file holds every record exactly once and
 *   no record the first process had checkpointed is sent to the remote again;
 * - two processes and a cron schedule: every tick is claimed once and runs once;
 * - neither process ever logs the credentials, even when a remote refuses or cannot be reached.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as Fs from "node:fs"
import { createServer } from "node:net"
import * as Path from "node:path"
import { assert, layer } from "@effect/vitest"
import type { Principal } from "@tessera/contract-kit/Contract"
import * as ContractClient from "@tessera/contract-kit/ContractClient"
import * as Auth from "@tessera/contract-server/Auth"
import type { ConnectionId, SyncRunId } from "@tessera/contracts/integration-hub/Shared"
import * as TestDatabase from "@tessera/test-harness/TestDatabase"
import { Deferred, Effect, Layer, Redacted } from "effect"
import { FetchHttpClient } from "effect/http"
import { SqlClient } from "effect/sql"
import * as FakeRemote from "./support/FakeRemote.ts"
import { filesDir, IntegrationApi, readFile, writeFile } from "./support/IntegrationTestLayer.ts"

const main = Path.join(import.meta.dirname, "..", "src", "main.ts")
const AUTH_SECRET = "integration-process-test-secret-0123456789"
const CREDENTIAL = "proc-cred-8d2e41b7-do-not-log"
const auth = Auth.make(Redacted.make(AUTH_SECRET), "test")
const user: Principal = { userId: "proc-user", organizationId: "org_proc", roles: [] }

const TestLayer = Layer.mergeAll(FetchHttpClient.layer, FakeRemote.layer).pipe(Layer.provideMerge(TestDatabase.layer()))

const freePort = Effect.callback<number>((resume) => {
  const server = createServer()
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    server.close(() => resume(Effect.succeed(port)))
  })
})

interface Started {
  readonly child: ChildProcess
  readonly baseUrl: string
  /** Everything the process wrote to stdout and stderr so far. */
  readonly output: () => string
}

/** Starts a hub process; yields once it announced it is up. Stopped (SIGTERM) with the scope. */
const startHub = (url: Redacted.Redacted<string>) =>
  Effect.gen(function* () {
    const port = yield* freePort
    const child = yield* Effect.acquireRelease(
      Effect.sync(() =>
        spawn(process.execPath, [main], {
          env: {
            ...process.env,
            DATABASE_URL: Redacted.value(url),
            PORT: String(port),
            TESSERA_AUTH_SECRET: AUTH_SECRET,
            TESSERA_ENV: "test",
            TESSERA_INTEGRATION_FILES: filesDir,
            TESSERA_DISPATCH_POLL_INTERVAL: "100 millis",
            TESSERA_DISPATCH_LEASE: "12 seconds",
            TESSERA_INTEGRATION_STEP_BUDGET: "200 millis",
            TESSERA_HTTP_LOG: "true"
          },
          stdio: ["ignore", "pipe", "pipe"]
        })
      ),
      (child) => stop(child)
    )
    const up = yield* Deferred.make<string, string>()
    let output = ""
    const collect = (chunk: Buffer) => {
      output += chunk.toString("utf8")
      if (process.env.INTEGRATION_PROCESS_LOG !== undefined)
        Fs.appendFileSync(`${process.env.INTEGRATION_PROCESS_LOG}.${port}`, chunk)
      const match = /\(health: (http:\/\/[^\s,)]+)\/health[,)]/.exec(output)
      if (match?.[1] !== undefined) Deferred.doneUnsafe(up, Effect.succeed(match[1]))
    }
    child.stdout?.on("data", collect)
    child.stderr?.on("data", collect)
    child.once("exit", (code, signal) =>
      Deferred.doneUnsafe(up, Effect.fail(`the hub exited (${code ?? signal}) before it was up:\n${output}`))
    )
    const baseUrl = yield* Deferred.await(up).pipe(
      Effect.timeoutOrElse({ duration: "90 seconds", orElse: () => Effect.fail("the hub did not come up") })
    )
    return { child, baseUrl, output: () => output } satisfies Started
  })

const stop = (child: ChildProcess) =>
  Effect.callback<void>((resume) => {
    if (child.exitCode !== null || child.signalCode !== null) return resume(Effect.void)
    child.once("exit", () => resume(Effect.void))
    child.kill("SIGTERM")
  })

const kill = (child: ChildProcess) =>
  Effect.callback<void>((resume) => {
    child.once("exit", () => resume(Effect.void))
    child.kill("SIGKILL")
  })

const waitFor = <A, E, R>(what: string, check: Effect.Effect<A | undefined, E, R>, seconds = 120) =>
  Effect.gen(function* () {
    const deadline = Date.now() + seconds * 1000
    for (;;) {
      const value = yield* check
      if (value !== undefined) return value
      if (Date.now() > deadline) return yield* Effect.fail(`timed out waiting for: ${what}`)
      yield* Effect.sleep("100 millis")
    }
  })

const clientOf = (baseUrl: string) =>
  Effect.flatMap(auth.mint(user), (token) => ContractClient.make(IntegrationApi, { baseUrl, token }))

type Client = Effect.Success<ReturnType<typeof clientOf>>

const runOf = (client: Client, runId: SyncRunId) =>
  client.integration["integration.syncRun.get"]({ payload: { runId } })

const finished = (client: Client, runId: SyncRunId) =>
  waitFor(
    `run ${runId} to finish`,
    Effect.map(runOf(client, runId), (run) => (run.status === "queued" || run.status === "running" ? undefined : run))
  )

const assertNoCredential = (hub: Started) => {
  const output = hub.output()
  assert.isAbove(output.length, 0)
  assert.notInclude(output, CREDENTIAL)
}

layer(TestLayer, { excludeTestServices: true })("the hub as processes", (it) => {
  it.effect(
    "a run whose process is SIGKILLed resumes from its last checkpoint on restart, with no duplicate writes",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          const database = yield* TestDatabase.TestDatabase
          const remote = yield* FakeRemote.FakeRemote
          remote.token = CREDENTIAL
          remote.writeDelayMs = 3
          const total = 6000
          const lines: Array<string> = []
          for (let i = 0; i < total; i++) lines.push(JSON.stringify({ id: `r${i}`, name: `Name ${i}`, n: i }))
          writeFile("big.ndjson", `${lines.join("\n")}\n`)
          if (Fs.existsSync(Path.join(filesDir, "copy.ndjson"))) Fs.rmSync(Path.join(filesDir, "copy.ndjson"))

          const first = yield* startHub(database.url)
          const client = yield* clientOf(first.baseUrl)
          const connect = (
            name: string,
            config: Parameters<Client["integration"]["integration.connection.create"]>[0]["payload"]["config"],
            withCredential = false
          ) =>
            Effect.map(
              client.integration["integration.connection.create"]({
                payload: {
                  name,
                  config,
                  ...(withCredential
                    ? { credentials: { type: "bearer" as const, token: Redacted.make(CREDENTIAL) } }
                    : {})
                }
              }),
              (connection) => connection.id
            )
          const big = yield* connect("big", { kind: "ndjson", path: "big.ndjson" })
          const copy = yield* connect("copy", { kind: "ndjson", path: "copy.ndjson" })
          const api = yield* connect(
            "api",
            { kind: "rest", baseUrl: remote.url, write: { path: "/contacts", mode: "each" } },
            true
          )
          const start = (target: ConnectionId, via: Client = client) =>
            Effect.gen(function* () {
              const config = yield* via.integration["integration.syncConfig.create"]({
                payload: { name: "big", sourceConnectionId: big, targetConnectionId: target, pageSize: 100 }
              })
              return (yield* via.integration["integration.sync.trigger"]({ payload: { syncConfigId: config.id } })).id
            })
          const toFile = yield* start(copy)
          const toApi = yield* start(api)

          yield* waitFor(
            "both runs a few pages in",
            Effect.map(Effect.all([runOf(client, toFile), runOf(client, toApi)]), ([a, b]) =>
              a.currentPage >= 3 && b.currentPage >= 3 ? true : undefined
            )
          )
          yield* kill(first.child)
          // What the remote had received when the first process died: a page retried before the
          // kill (its handler timed out under load) may already count twice here.
          const writesAtKill = new Map(remote.writes)
          const sql = yield* SqlClient.SqlClient
          const checkpointed = yield* sql<{ id: string; current_page: number; status: string }>`
            SELECT id, current_page, status FROM integration.sync_runs WHERE id IN (${toFile}, ${toApi})`
          const apiPagesBefore = checkpointed.find((r) => r.id === toApi)?.current_page ?? 0
          const filePagesBefore = checkpointed.find((r) => r.id === toFile)?.current_page ?? 0
          assert.isBelow(filePagesBefore + apiPagesBefore, 120, "the kill came after both runs had finished")
          // The ids the first process had checkpointed as sent to the remote.
          const sentBefore = apiPagesBefore * 100

          const second = yield* startHub(database.url)
          const client2 = yield* clientOf(second.baseUrl)
          const fileRun = yield* finished(client2, toFile)
          const apiRun = yield* finished(client2, toApi)
          assert.strictEqual(fileRun.status, "succeeded")
          assert.strictEqual(apiRun.status, "succeeded")
          assert.strictEqual(fileRun.created, total)
          assert.strictEqual(apiRun.created, total)

          // The file: every record exactly once, in order, although a page may have been half-written.
          const written = readFile("copy.ndjson").trimEnd().split("\n")
          assert.strictEqual(written.length, total)
          assert.deepStrictEqual(
            written.map((line) => JSON.parse(line).id),
            lines.map((_, i) => `r${i}`)
          )
          // The remote: every record, and no record checkpointed before the kill was sent again after
          // it: the second process resumed from the checkpoint.
          assert.strictEqual(remote.records.size, total)
          for (let i = 0; i < sentBefore; i++) {
            assert.strictEqual(
              remote.writes.get(`r${i}`),
              writesAtKill.get(`r${i}`),
              `r${i} was sent again after the kill`
            )
          }
          // Sent again after the kill: only records of pages not yet checkpointed (the page in flight
          // at the kill) — upserts by id, so the remote holds each record once.
          const again = [...remote.writes.entries()]
            .filter(([id, n]) => n > (writesAtKill.get(id) ?? 0) && (writesAtKill.get(id) ?? 0) > 0)
            .map(([id]) => Number(id.slice(1)))
          for (const index of again) assert.isAtLeast(index, sentBefore)

          // A remote that refuses or cannot be reached: the run fails, nothing logs the credential.
          remote.token = "rotated-elsewhere"
          const refused = yield* start(api, client2)
          const refusedRun = yield* finished(client2, refused)
          assert.strictEqual(refusedRun.status, "failed")
          yield* stop(second.child)
          assertNoCredential(first)
          assertNoCredential(second)
        })
      ),
    { timeout: 300_000 }
  )

  it.effect(
    "two processes, a cron schedule: each tick is claimed once and runs once",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          const database = yield* TestDatabase.TestDatabase
          writeFile("tick.ndjson", '{"id":"only"}\n')
          const a = yield* startHub(database.url)
          const b = yield* startHub(database.url)
          const client = yield* clientOf(a.baseUrl)
          const source = yield* client.integration["integration.connection.create"]({
            payload: { name: "tick", config: { kind: "ndjson", path: "tick.ndjson" } }
          })
          const target = yield* client.integration["integration.connection.create"]({
            payload: { name: "tock", config: { kind: "ndjson", path: "tock.ndjson" } }
          })
          const config = yield* client.integration["integration.syncConfig.create"]({
            payload: {
              name: "every two seconds",
              sourceConnectionId: source.id,
              targetConnectionId: target.id,
              schedule: "*/2 * * * * *"
            }
          })
          const sql = yield* SqlClient.SqlClient
          const ticks = () =>
            sql<{ tick: Date; run_id: string | null }>`
            SELECT tick, run_id FROM integration.schedule_ticks WHERE sync_config_id = ${config.id} ORDER BY tick`
          yield* waitFor(
            "four ticks",
            Effect.map(ticks(), (rows) => (rows.length >= 4 ? true : undefined)),
            60
          )
          yield* client.integration["integration.syncConfig.pause"]({ payload: { syncConfigId: config.id } })
          yield* Effect.sleep("2500 millis")
          const claimed = yield* ticks()
          const runs = yield* sql<{ id: string; status: string }>`
          SELECT id, status FROM integration.sync_runs WHERE sync_config_id = ${config.id} AND trigger = 'schedule'`
          // One run per claimed tick, never two: every run belongs to exactly one tick.
          assert.strictEqual(runs.length, claimed.length)
          assert.deepStrictEqual(new Set(claimed.map((t) => t.run_id)), new Set(runs.map((r) => r.id)))
          // On time: consecutive ticks two seconds apart, on even seconds.
          for (let i = 1; i < claimed.length; i++) {
            const gap = (claimed[i]?.tick.getTime() ?? 0) - (claimed[i - 1]?.tick.getTime() ?? 0)
            assert.strictEqual(gap, 2000)
          }
          for (const t of claimed) assert.strictEqual(t.tick.getUTCSeconds() % 2, 0)
          // Each run wrote its one record: as many lines as runs (the checksum skips it after the first).
          const run = yield* sql<{ created: number; skipped: number }>`
          SELECT sum(created)::int AS created, sum(skipped)::int AS skipped FROM integration.sync_runs
          WHERE sync_config_id = ${config.id}`
          assert.strictEqual(run[0]?.created, 1)
          assert.strictEqual(run[0]?.skipped, claimed.length - 1)
          assertNoCredential(a)
          assertNoCredential(b)
        })
      ),
    { timeout: 300_000 }
  )
})
