/**
 * What the embedded server's owner learns when it dies, and what a new process does with a
 * server orphaned under a subreaper (not init): both found through the data folder's pid file and
 * Tessera's owner file, whoever adopted the server.
 */
import { spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { PgClient } from "@effect/sql-pg"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Scope } from "effect"
import * as EmbeddedPostgres from "../src/EmbeddedPostgres.ts"

const tempRoot = Effect.acquireRelease(
  Effect.sync(() => {
    const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "tessera-supervision-test-"))
    Fs.chmodSync(dir, 0o755)
    return dir
  }),
  (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
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

const parentOf = (pid: number) => {
  const match = /^PPid:\s+(\d+)/m.exec(Fs.readFileSync(`/proc/${pid}/status`, "utf8"))
  return Number(match?.[1])
}

const selectOne = (server: EmbeddedPostgres.Server) =>
  Effect.flatMap(PgClient.PgClient, (sql) => sql<{ one: number }>`SELECT 1 AS one`).pipe(
    Effect.provide(PgClient.layer({ url: server.url(), maxConnections: 1 })),
    Effect.scoped
  )

const linuxX64 = process.platform === "linux" && process.arch === "x64"

describe("supervising the embedded server", () => {
  it.live("reports a server that dies under its owner (SIGKILL), with its last log lines, and not one it stopped", () =>
    Effect.gen(function* () {
      const root = yield* tempRoot
      const scope = yield* Scope.make()
      const server = yield* EmbeddedPostgres.start({ dataDir: Path.join(root, "data"), port: 0 }).pipe(
        Scope.provide(scope)
      )
      assert.isTrue(Fs.existsSync(Path.join(root, "data", EmbeddedPostgres.OWNER_FILE)))
      const watching = yield* Effect.forkChild(server.exited)
      process.kill(server.pid, "SIGKILL")
      const exit = yield* Fiber.join(watching)
      assert.strictEqual(exit.pid, server.pid)
      assert.strictEqual(exit.signal, "SIGKILL")
      assert.isTrue(exit.owned)
      assert.isAbove(exit.lastLines.length, 0)
      yield* Scope.close(scope, Exit.void)

      // A server stopped through its scope is no surprise: `exited` never completes.
      const second = yield* Scope.make()
      const again = yield* EmbeddedPostgres.start({ dataDir: Path.join(root, "data"), port: 0 }).pipe(
        Scope.provide(second)
      )
      assert.deepStrictEqual(yield* selectOne(again), [{ one: 1 }])
      const quiet = yield* Effect.forkChild(again.exited)
      yield* Scope.close(second, Exit.void)
      assert.isFalse(isAlive(again.pid))
      yield* Effect.sleep("200 millis")
      assert.isUndefined(quiet.pollUnsafe())
      yield* Fiber.interrupt(quiet)
      assert.isFalse(Fs.existsSync(Path.join(root, "data", EmbeddedPostgres.OWNER_FILE)))
    })
  )

  it.live("a process sharing the server learns when its owner stopped it", () =>
    Effect.gen(function* () {
      const root = yield* tempRoot
      const dataDir = Path.join(root, "data")
      const ownerScope = yield* Scope.make()
      const owner = yield* EmbeddedPostgres.start({ dataDir, port: 0 }).pipe(Scope.provide(ownerScope))
      const shared = yield* EmbeddedPostgres.start({ dataDir, port: 0 })
      assert.strictEqual(shared.pid, owner.pid)
      // The sharer (here the same process, as `pnpm seed` beside the stack would be another)
      // learns when the server goes: its `exited` completes.
      const watching = yield* Effect.forkChild(shared.exited)
      yield* Scope.close(ownerScope, Exit.void)
      const exit = yield* Fiber.join(watching)
      assert.strictEqual(exit.pid, owner.pid)
    })
  )

  // prctl(PR_SET_CHILD_SUBREAPER) through perl's syscall(157, …) is x86_64 Linux only.
  it.live.runIf(linuxX64)("stops and replaces a server orphaned under a subreaper (its parent alive, not init)", () =>
    Effect.gen(function* () {
      const root = yield* tempRoot
      const dataDir = Path.join(root, "data")
      const reaper = yield* Effect.acquireRelease(
        Effect.sync(() =>
          spawn(
            "perl",
            [
              "-e",
              "syscall(157, 36, 1, 0, 0, 0) == 0 or die 'prctl failed'; exec @ARGV or die",
              process.execPath,
              Path.join(import.meta.dirname, "fixtures", "Subreaper.ts"),
              dataDir
            ],
            { stdio: ["ignore", "pipe", "inherit"] }
          )
        ),
        (child) => Effect.sync(() => child.kill("SIGKILL"))
      )
      const orphanPid = yield* Effect.callback<number>((resume) => {
        let output = ""
        reaper.stdout.on("data", (chunk: Buffer) => {
          output += chunk.toString("utf8")
          const match = /orphaned (\d+)/.exec(output)
          if (match?.[1] !== undefined) resume(Effect.succeed(Number(match[1])))
        })
      })
      assert.isTrue(isAlive(orphanPid))
      // Adopted by the subreaper, not by init: a live parent that is not 1.
      assert.strictEqual(parentOf(orphanPid), reaper.pid)
      const server = yield* EmbeddedPostgres.start({ dataDir, port: 0 })
      assert.notStrictEqual(server.pid, orphanPid)
      assert.isFalse(isAlive(orphanPid))
      assert.deepStrictEqual(yield* selectOne(server), [{ one: 1 }])
    })
  )

  it.live("a data folder that cannot be created says why and what to set", () =>
    Effect.gen(function* () {
      const root = yield* tempRoot
      const file = Path.join(root, "a-file")
      Fs.writeFileSync(file, "not a folder")
      const error = yield* Effect.flip(EmbeddedPostgres.start({ dataDir: Path.join(file, "pg"), port: 0 }))
      assert.include(error.message, "a part of the path is a file, not a folder")
      assert.include(error.message, "TESSERA_DATA_DIR")
      assert.include(error.message, "DATABASE_URL")
    })
  )
})
