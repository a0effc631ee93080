/**
 * Tessera processes as a user starts them (`node <app>/src/main.ts`), for tests: spawned with an
 * environment, watched through their output, killed (SIGKILL) when the test's scope closes if
 * still alive.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process"
import * as Net from "node:net"
import * as Path from "node:path"
import { Duration, Effect } from "effect"

export const repoRoot = Path.resolve(import.meta.dirname, "..", "..", "..", "..")
export const script = (relative: string) => Path.join(repoRoot, relative)

export const freePort = Effect.callback<number>((resume) => {
  const server = Net.createServer()
  server.listen({ port: 0, host: "127.0.0.1" }, () => {
    const address = server.address()
    server.close(() => resume(Effect.succeed(typeof address === "object" && address !== null ? address.port : 0)))
  })
})

export interface Running {
  readonly child: ChildProcess
  readonly output: () => string
  readonly exited: Effect.Effect<{ code: number | null; signal: string | null }>
}

export const spawnProcess = (entry: string, env: Record<string, string>) =>
  Effect.acquireRelease(
    Effect.sync((): Running => {
      const child = spawn(process.execPath, [entry], {
        env: { ...process.env, DATABASE_URL: "", ...env },
        stdio: ["ignore", "pipe", "pipe"]
      })
      let output = ""
      const collect = (chunk: Buffer) => {
        output += chunk.toString("utf8")
      }
      child.stdout?.on("data", collect)
      child.stderr?.on("data", collect)
      const exit = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
        child.once("exit", (code, signal) => resolve({ code, signal }))
      )
      return { child, output: () => output, exited: Effect.promise(() => exit) }
    }),
    ({ child }) => Effect.sync(() => child.exitCode === null && child.signalCode === null && child.kill("SIGKILL"))
  )

/** Waits (bounded: 60 s) until the process printed `text`; dies with its output otherwise. */
export const waitFor = (running: Running, text: string) =>
  Effect.gen(function* () {
    for (let i = 0; i < 600; i++) {
      if (running.output().includes(text)) return
      if (running.child.exitCode !== null) break
      yield* Effect.sleep(Duration.millis(100))
    }
    return yield* Effect.die(`process never printed ${JSON.stringify(text)}; output:\n${running.output()}`)
  })

/** Runs a script to completion; fails the test with its output when it exits non-zero. */
export const runScript = (entry: string, args: ReadonlyArray<string>, env: Record<string, string>) =>
  Effect.callback<string>((resume) => {
    execFile(process.execPath, [entry, ...args], { env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      resume(error === null ? Effect.succeed(stdout + stderr) : Effect.die(`${entry} failed:\n${stdout}${stderr}`))
    })
  })

/** Retries `check` every 200 ms until it returns a value (bounded: `seconds`). */
export const eventually = <A, E, R>(check: Effect.Effect<A | undefined, E, R>, seconds = 60) =>
  Effect.gen(function* () {
    for (let i = 0; i < seconds * 5; i++) {
      const value = yield* check
      if (value !== undefined) return value
      yield* Effect.sleep(Duration.millis(200))
    }
    return yield* Effect.die(`condition not met within ${seconds} s`)
  })
