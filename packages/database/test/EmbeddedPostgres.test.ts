import { spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import { PgClient } from "@effect/sql-pg"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Scope } from "effect"
import * as EmbeddedPostgres from "../src/EmbeddedPostgres.ts"

const isRoot = process.getuid?.() === 0

/** A temp folder the server's user can traverse (mkdtemp makes 0700 folders). */
const tempRoot = Effect.acquireRelease(
  Effect.sync(() => {
    const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "tessera-db-test-"))
    Fs.chmodSync(dir, 0o755)
    return dir
  }),
  (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
)

const query = (
  server: EmbeddedPostgres.Server,
  statement: (sql: PgClient.PgClient) => Effect.Effect<unknown, unknown>
) =>
  Effect.flatMap(PgClient.PgClient, statement).pipe(
    Effect.provide(PgClient.layer({ url: server.url(), maxConnections: 1 })),
    Effect.scoped
  )

/** Running: signalable and not a zombie (exited, waiting to be reaped by whoever adopted it). */
const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    return !/^State:\s+Z/m.test(Fs.readFileSync(`/proc/${pid}/status`, "utf8"))
  } catch {
    return false
  }
}

describe("EmbeddedPostgres", () => {
  it.live("starts a real server that answers queries, and stops it when the scope closes", () =>
    Effect.gen(function* () {
      const root = yield* tempRoot
      const scope = yield* Scope.make()
      const server = yield* EmbeddedPostgres.start({ dataDir: Path.join(root, "data"), port: 0 }).pipe(
        Scope.provide(scope)
      )
      const rows = yield* query(server, (sql) => sql<{ version: string }>`SELECT version() AS version`)
      assert.match(JSON.stringify(rows), /PostgreSQL 18/)
      assert.isTrue(isAlive(server.pid))
      yield* Scope.close(scope, Exit.void)
      assert.isFalse(isAlive(server.pid))
      assert.isFalse(Fs.existsSync(Path.join(root, "data", "postmaster.pid")))
    })
  )

  it.live("reuses the data folder across restarts", () =>
    Effect.gen(function* () {
      const root = yield* tempRoot
      const dataDir = Path.join(root, "data")
      const first = yield* Effect.scoped(
        Effect.gen(function* () {
          const server = yield* EmbeddedPostgres.start({ dataDir, port: 0 })
          yield* query(server, (sql) => sql`CREATE TABLE kept (note text)`)
          yield* query(server, (sql) => sql`INSERT INTO kept VALUES ('survives a restart')`)
          return server.pid
        })
      )
      const rows = yield* Effect.scoped(
        Effect.gen(function* () {
          const server = yield* EmbeddedPostgres.start({ dataDir, port: 0 })
          assert.notStrictEqual(server.pid, first)
          return yield* query(server, (sql) => sql<{ note: string }>`SELECT note FROM kept`)
        })
      )
      assert.deepStrictEqual(rows, [{ note: "survives a restart" }])
    })
  )

  it.live("chooses a free port when the preferred one is busy", () =>
    Effect.gen(function* () {
      const root = yield* tempRoot
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
      const busy = typeof address === "object" && address !== null ? address.port : 0
      const server = yield* EmbeddedPostgres.start({ dataDir: Path.join(root, "data"), port: busy })
      assert.notStrictEqual(server.port, busy)
      const rows = yield* query(server, (sql) => sql<{ one: number }>`SELECT 1 AS one`)
      assert.deepStrictEqual(rows, [{ one: 1 }])
    })
  )

  it.live("shares the server another process runs on the data folder, and leaves it running", () =>
    Effect.gen(function* () {
      const root = yield* tempRoot
      const dataDir = Path.join(root, "data")
      const owner = yield* EmbeddedPostgres.start({ dataDir, port: 0 })
      const shared = yield* Effect.scoped(
        Effect.gen(function* () {
          const second = yield* EmbeddedPostgres.start({ dataDir, port: 0 })
          assert.strictEqual(second.pid, owner.pid)
          assert.strictEqual(second.port, owner.port)
          return yield* query(second, (sql) => sql<{ one: number }>`SELECT 1 AS one`)
        })
      )
      assert.deepStrictEqual(shared, [{ one: 1 }])
      // The second user's scope closed; the owner's server still runs.
      assert.isTrue(isAlive(owner.pid))
      const still = yield* query(owner, (sql) => sql<{ one: number }>`SELECT 1 AS one`)
      assert.deepStrictEqual(still, [{ one: 1 }])
    })
  )

  it.live("stops and replaces a server orphaned by a process that was killed", () =>
    Effect.gen(function* () {
      const root = yield* tempRoot
      const dataDir = Path.join(root, "data")
      const holder = spawn(process.execPath, [Path.join(import.meta.dirname, "fixtures", "HoldServer.ts"), dataDir], {
        stdio: ["ignore", "pipe", "inherit"]
      })
      const orphanPid = yield* Effect.callback<number>((resume) => {
        let output = ""
        holder.stdout.on("data", (chunk: Buffer) => {
          output += chunk.toString("utf8")
          const match = /ready (\d+)/.exec(output)
          if (match?.[1] !== undefined) resume(Effect.succeed(Number(match[1])))
        })
      })
      holder.kill("SIGKILL")
      yield* Effect.callback<void>((resume) => {
        holder.once("exit", () => resume(Effect.void))
      })
      assert.isTrue(isAlive(orphanPid), "the server outlived its killed owner")
      const server = yield* EmbeddedPostgres.start({ dataDir, port: 0 })
      assert.notStrictEqual(server.pid, orphanPid)
      assert.isFalse(isAlive(orphanPid))
      const rows = yield* query(server, (sql) => sql<{ one: number }>`SELECT 1 AS one`)
      assert.deepStrictEqual(rows, [{ one: 1 }])
    })
  )

  // Only root hands the server to the `postgres` user, so only root can meet a folder that user
  // cannot enter; as any other user the server runs as you and the check does not apply.
  it.live.runIf(isRoot)("fails at once, saying what to do, when the postgres user cannot reach the data folder", () =>
    Effect.gen(function* () {
      const root = yield* tempRoot
      const privateDir = Path.join(root, "private")
      Fs.mkdirSync(privateDir, { mode: 0o700 })
      const started = Date.now()
      const error = yield* Effect.flip(EmbeddedPostgres.start({ dataDir: Path.join(privateDir, "pg"), port: 0 }))
      assert.isBelow(Date.now() - started, 5_000)
      assert.strictEqual(error._tag, "PostgresPathError")
      if (error._tag !== "PostgresPathError") return
      assert.strictEqual(error.blockedAt, privateDir)
      assert.include(error.message, "cannot enter")
      assert.include(error.message, "Move the checkout")
      assert.include(error.message, "DATABASE_URL")
      assert.isFalse(Fs.existsSync(Path.join(privateDir, "pg")))
    })
  )
})
