/**
 * Tessera processes as a user starts them (`node <app>/src/main.ts`), for tests: spawned with an
 * environment and an IPC channel (the shared test clock, see `ChildClock.ts`), watched through
 * their output, SIGKILLed when the test's scope closes if still alive.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { Data, Deferred, Duration, Effect } from "effect"

/** A child process that did not come up, or stopped unexpectedly: its output is in the message. */
export class ChildProcessError extends Data.TaggedError("ChildProcessError")<{ readonly message: string }> {}

/** A free loopback port (closed again before it is returned). */
export const freePort = Effect.callback<number>((resume) => {
  const server = Net.createServer()
  server.listen({ port: 0, host: "127.0.0.1" }, () => {
    const address = server.address()
    server.close(() => resume(Effect.succeed(typeof address === "object" && address !== null ? address.port : 0)))
  })
})

export interface Running {
  readonly name: string
  readonly child: ChildProcess
  /** Everything it printed so far (stdout and stderr). */
  readonly output: () => string
  /** Completes when the process exits. */
  readonly exited: Effect.Effect<{ readonly code: number | null; readonly signal: string | null }>
  /** Sends the clock offset and waits until the process acknowledged it. */
  readonly setClockOffset: (offsetMillis: number) => Effect.Effect<void, ChildProcessError>
}

const clockPreload = fileURLToPath(new URL("./ChildClock.ts", import.meta.url))

/**
 * Node's compile cache for the children (unless the caller set one): a child imports its whole
 * app from TypeScript sources, and the cache cuts that start-up by about a third after the first.
 */
const compileCache = process.env.NODE_COMPILE_CACHE ?? Path.join(Os.tmpdir(), "tessera-test-kit-compile-cache")

const alive = (child: ChildProcess) => child.exitCode === null && child.signalCode === null

/**
 * Spawns `node <entry>` with `env` on top of this process's environment (`DATABASE_URL` cleared
 * unless given), the test clock preloaded at `clockOffset`. Killed (SIGKILL) when the scope closes.
 */
export const spawnNode = (name: string, entry: string | URL, env: Record<string, string>, clockOffset = 0) =>
  Effect.acquireRelease(
    Effect.sync((): Running => {
      const path = typeof entry === "string" ? entry : fileURLToPath(entry)
      const child = spawn(process.execPath, ["--import", clockPreload, path], {
        env: {
          ...process.env,
          DATABASE_URL: "",
          NODE_COMPILE_CACHE: compileCache,
          ...env,
          TESSERA_TEST_CLOCK_OFFSET: String(clockOffset)
        },
        stdio: ["ignore", "pipe", "pipe", "ipc"]
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
      const setClockOffset = (offsetMillis: number) =>
        alive(child)
          ? Effect.callback<void, ChildProcessError>((resume) => {
              const onMessage = (message: unknown) => {
                if (
                  typeof message === "object" &&
                  message !== null &&
                  "tesseraClockAck" in message &&
                  message.tesseraClockAck === offsetMillis
                ) {
                  child.off("message", onMessage)
                  resume(Effect.void)
                }
              }
              child.on("message", onMessage)
              child.send({ tesseraClock: offsetMillis }, (error) => {
                if (error !== null) {
                  child.off("message", onMessage)
                  resume(Effect.fail(new ChildProcessError({ message: `${name}: could not send the clock: ${error}` })))
                }
              })
              return Effect.sync(() => child.off("message", onMessage))
            }).pipe(
              Effect.timeoutOrElse({
                duration: Duration.seconds(10),
                orElse: () =>
                  Effect.fail(new ChildProcessError({ message: `${name} did not acknowledge the clock within 10 s` }))
              })
            )
          : Effect.void
      return { name, child, output: () => output, exited: Effect.promise(() => exit), setClockOffset }
    }),
    ({ child }) => Effect.sync(() => alive(child) && child.kill("SIGKILL"))
  )

/**
 * Waits until the process printed `text` (it watches the output, no polling), failing with its
 * output when it exits first or after `within`.
 */
export const waitFor = (running: Running, text: string, within: Duration.Input = "60 seconds") =>
  Effect.gen(function* () {
    const seen = yield* Deferred.make<void, ChildProcessError>()
    const check = () => {
      if (running.output().includes(text)) Deferred.doneUnsafe(seen, Effect.void)
    }
    const onExit = () =>
      Deferred.doneUnsafe(
        seen,
        Effect.fail(
          new ChildProcessError({
            message: `${running.name} exited before printing ${JSON.stringify(text)}; output:\n${running.output()}`
          })
        )
      )
    check()
    running.child.stdout?.on("data", check)
    running.child.stderr?.on("data", check)
    running.child.once("exit", onExit)
    if (!alive(running.child)) onExit()
    return yield* Deferred.await(seen).pipe(
      Effect.timeoutOrElse({
        duration: within,
        orElse: () =>
          Effect.fail(
            new ChildProcessError({
              message: `${running.name} did not print ${JSON.stringify(text)} within ${Duration.format(Duration.fromInputUnsafe(within))}; output:\n${running.output()}`
            })
          )
      }),
      Effect.ensuring(
        Effect.sync(() => {
          running.child.stdout?.off("data", check)
          running.child.stderr?.off("data", check)
          running.child.off("exit", onExit)
        })
      )
    )
  })

/** Stops a process with SIGTERM (its graceful shutdown) and waits for it to exit; SIGKILL after 10 s. */
export const stop = (running: Running) =>
  Effect.gen(function* () {
    if (!alive(running.child)) return
    running.child.kill("SIGTERM")
    yield* running.exited.pipe(
      Effect.timeoutOrElse({
        duration: Duration.seconds(10),
        orElse: () => Effect.sync(() => running.child.kill("SIGKILL")).pipe(Effect.andThen(running.exited))
      })
    )
  })
