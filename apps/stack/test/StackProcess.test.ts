/**
 * The stack as a user runs it: `node src/main.ts` in a child process, checked through HTTP and
 * signals.
 */
import * as Fs from "node:fs"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import { assert, describe, it, layer } from "@effect/vitest"
import * as TestDatabase from "@tessera/test-harness/TestDatabase"
import { Effect, Redacted, Schema } from "effect"
import { freePort, script, spawnProcess, waitFor } from "./support/Processes.ts"

const main = script("apps/stack/src/main.ts")
const isRoot = process.getuid?.() === 0

const HealthBody = Schema.Struct({
  status: Schema.Literals(["ok", "degraded"]),
  database: Schema.Struct({
    status: Schema.Literals(["up", "down"]),
    mode: Schema.Literals(["embedded", "external"]),
    location: Schema.String,
    latencyMs: Schema.Number
  }),
  apps: Schema.Array(Schema.String)
})

const getHealth = (port: number) =>
  Effect.promise(() => fetch(`http://127.0.0.1:${port}/health`)).pipe(
    Effect.flatMap((response) =>
      Effect.promise(() => response.json()).pipe(
        Effect.flatMap(Schema.decodeUnknownEffect(HealthBody)),
        Effect.map((body) => ({ status: response.status, body }))
      )
    )
  )

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

layer(TestDatabase.layer(), { excludeTestServices: true })("the stack against DATABASE_URL", (it) => {
  it.effect("serves /health with the database up, then shuts down cleanly on SIGTERM", () =>
    Effect.gen(function* () {
      const database = yield* TestDatabase.TestDatabase
      const port = yield* freePort
      const stack = yield* spawnProcess(main, { DATABASE_URL: Redacted.value(database.url), PORT: String(port) })
      yield* waitFor(stack, "Tessera is up")
      const health = yield* getHealth(port)
      assert.strictEqual(health.status, 200)
      assert.strictEqual(health.body.status, "ok")
      assert.strictEqual(health.body.database.status, "up")
      assert.strictEqual(health.body.database.mode, "external")
      assert.include(health.body.database.location, database.name)
      assert.notInclude(stack.output(), Redacted.value(database.url))
      stack.child.kill("SIGTERM")
      const exit = yield* stack.exited
      assert.notStrictEqual(exit.signal, "SIGKILL")
    })
  )

  it.effect("refuses to start, with a plain message, when the HTTP port is taken", () =>
    Effect.gen(function* () {
      const database = yield* TestDatabase.TestDatabase
      const blocker = yield* Effect.acquireRelease(
        Effect.callback<Net.Server>((resume) => {
          const server = Net.createServer()
          server.listen({ port: 0, host: "127.0.0.1" }, () => resume(Effect.succeed(server)))
        }),
        (server) =>
          Effect.callback<void>((resume) => {
            server.close(() => resume(Effect.void))
          })
      )
      const address = blocker.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      const stack = yield* spawnProcess(main, { DATABASE_URL: Redacted.value(database.url), PORT: String(port) })
      const exit = yield* stack.exited
      assert.strictEqual(exit.code, 1)
      assert.include(stack.output(), `Tessera could not start: port ${port} is in use (set PORT)`)
      assert.notInclude(stack.output(), "    at ")
    })
  )
})

describe("the stack on embedded PostgreSQL", () => {
  const tempRoot = Effect.acquireRelease(
    Effect.sync(() => {
      const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "tessera-stack-test-"))
      Fs.chmodSync(dir, 0o755)
      return dir
    }),
    (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
  )

  it.live("starts its own PostgreSQL, serves /health, and leaves no postgres process behind on Ctrl-C", () =>
    Effect.gen(function* () {
      const root = yield* tempRoot
      const dataDir = Path.join(root, "pg")
      const port = yield* freePort
      const stack = yield* spawnProcess(main, {
        TESSERA_DATA_DIR: dataDir,
        TESSERA_POSTGRES_PORT: "0",
        PORT: String(port)
      })
      yield* waitFor(stack, "Tessera is up")
      const health = yield* getHealth(port)
      assert.strictEqual(health.status, 200)
      assert.strictEqual(health.body.database.mode, "embedded")
      const postgresPid = Number(Fs.readFileSync(Path.join(dataDir, "postmaster.pid"), "utf8").split("\n")[0])
      assert.isTrue(isAlive(postgresPid))
      stack.child.kill("SIGINT")
      const exit = yield* stack.exited
      assert.notStrictEqual(exit.signal, "SIGKILL")
      assert.isFalse(isAlive(postgresPid))
      assert.isFalse(Fs.existsSync(Path.join(dataDir, "postmaster.pid")))
    })
  )

  it.live("exits with a clear message when its embedded PostgreSQL dies, and comes back on the next start", () =>
    Effect.gen(function* () {
      const root = yield* tempRoot
      const dataDir = Path.join(root, "pg")
      const port = yield* freePort
      const env = { TESSERA_DATA_DIR: dataDir, TESSERA_POSTGRES_PORT: "0", PORT: String(port) }
      const stack = yield* spawnProcess(main, env)
      yield* waitFor(stack, "Tessera is up")
      const postgresPid = Number(Fs.readFileSync(Path.join(dataDir, "postmaster.pid"), "utf8").split("\n")[0])
      process.kill(postgresPid, "SIGKILL")
      const exit = yield* stack.exited
      assert.strictEqual(exit.code, 1)
      assert.include(
        stack.output(),
        `Tessera stopped: the embedded PostgreSQL (pid ${postgresPid}, data in ${dataDir}) exited unexpectedly (signal SIGKILL)`
      )
      assert.include(stack.output(), "so that it can be started again")

      // What a supervisor does next: start it again. A fresh server on the same data.
      const again = yield* spawnProcess(main, env)
      yield* waitFor(again, "Tessera is up")
      const health = yield* getHealth(port)
      assert.strictEqual(health.status, 200)
      assert.strictEqual(health.body.database.status, "up")
      again.child.kill("SIGTERM")
      const stopped = yield* again.exited
      assert.strictEqual(stopped.code, 0)
    })
  )

  it.live("a second stack sharing the first one's PostgreSQL exits with a clear message when the first stops it", () =>
    Effect.gen(function* () {
      const root = yield* tempRoot
      const dataDir = Path.join(root, "pg")
      const first = yield* spawnProcess(main, {
        TESSERA_DATA_DIR: dataDir,
        TESSERA_POSTGRES_PORT: "0",
        PORT: String(yield* freePort)
      })
      yield* waitFor(first, "Tessera is up")
      const secondPort = yield* freePort
      const second = yield* spawnProcess(main, {
        TESSERA_DATA_DIR: dataDir,
        TESSERA_POSTGRES_PORT: "0",
        PORT: String(secondPort)
      })
      yield* waitFor(second, "Tessera is up")
      assert.include(second.output(), "Using the PostgreSQL")
      first.child.kill("SIGTERM")
      assert.strictEqual((yield* first.exited).code, 0)
      const exit = yield* second.exited
      assert.strictEqual(exit.code, 1)
      assert.include(second.output(), "that this process shared with the process that started it has stopped")
      assert.include(second.output(), "Tessera stopped: the embedded PostgreSQL")
    })
  )

  // Only root hands PostgreSQL to the `postgres` user; other users never meet this failure.
  it.live.runIf(isRoot)("exits at once with what to do when the postgres user cannot reach the data folder", () =>
    Effect.gen(function* () {
      const root = yield* tempRoot
      const locked = Path.join(root, "locked")
      Fs.mkdirSync(locked, { mode: 0o700 })
      const stack = yield* spawnProcess(main, { TESSERA_DATA_DIR: Path.join(locked, "pg"), PORT: "0" })
      const exit = yield* stack.exited
      assert.strictEqual(exit.code, 1)
      assert.include(stack.output(), `cannot enter ${locked}`)
      assert.include(stack.output(), "DATABASE_URL")
      assert.notInclude(stack.output(), "    at ")
    })
  )
})
