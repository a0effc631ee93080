/**
 * The container definitions and `pnpm dev`, as far as this machine can check them: no Docker
 * engine runs here, so the image is never built. The Dockerfile passes its lint (and the lint
 * catches what the old one did wrong); compose's own validator accepts docker-compose.yml, refuses
 * it without TESSERA_AUTH_SECRET, and its stop_grace_period covers the stack's shutdown; `pnpm dev`
 * restarts the stack when a source file changes.
 */
import { execFile, spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect } from "effect"
import { freePort, repoRoot } from "./support/Processes.ts"

interface Ran {
  readonly code: number
  readonly output: string
}

const run = (file: string, args: ReadonlyArray<string>, env: Record<string, string | undefined> = process.env) =>
  Effect.callback<Ran>((resume) => {
    execFile(file, [...args], { cwd: repoRoot, env }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1
      resume(Effect.succeed({ code, output: `${stdout}${stderr}` }))
    })
  })

const lint = (dockerfile: string) => run(process.execPath, ["scripts/lint-dockerfile.mjs", dockerfile])

/** The Dockerfile as it was before (install after `COPY . .`, dev dependencies, no health check). */
const OLD_DOCKERFILE = `FROM node:24.21.0-bookworm-slim
RUN npm install --global pnpm@12.21.0
WORKDIR /app
COPY . .
RUN pnpm install --frozen-lockfile --prod=false
ENV NODE_ENV=production
EXPOSE 3000
USER node
CMD node apps/stack/src/main.ts
`

const which = (command: string) =>
  (process.env.PATH ?? "").split(Path.delimiter).some((dir) => Fs.existsSync(Path.join(dir, command)))
const hasCompose = which("docker-compose")

describe("the container", () => {
  it.effect("the Dockerfile passes its lint; the lint names what the old one did wrong", () =>
    Effect.gen(function* () {
      const current = yield* lint("Dockerfile")
      assert.strictEqual(current.code, 0, current.output)
      assert.include(current.output, "no problems")

      const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "tessera-dockerfile-"))
      const old = Path.join(dir, "Dockerfile")
      Fs.writeFileSync(old, OLD_DOCKERFILE)
      const result = yield* lint(old)
      Fs.rmSync(dir, { recursive: true, force: true })
      assert.strictEqual(result.code, 1)
      for (const rule of ["deps-first", "prod-deps", "healthcheck", "env", "exec-form"]) {
        assert.include(result.output, `[${rule}]`)
      }
    })
  )

  // CI installs Debian's docker-compose (.ci/run) before the tests; a machine without it skips this.
  it.effect.runIf(hasCompose)(
    "docker compose config accepts docker-compose.yml, refuses it without TESSERA_AUTH_SECRET, and its stop grace period covers the stack's",
    () =>
      Effect.gen(function* () {
        const env = { ...process.env, TESSERA_AUTH_SECRET: "test-only-secret-0123456789abcdefgh" }
        const config = yield* run("docker-compose", ["--profile", "tracing", "config"], env)
        assert.strictEqual(config.code, 0, config.output)
        assert.include(config.output, "TESSERA_ENV: production")
        assert.include(config.output, "jaegertracing/all-in-one")
        const grace = /TESSERA_SHUTDOWN_GRACE: (\d+) seconds/.exec(config.output)
        const stop = /stop_grace_period: (\d+)s/.exec(config.output)
        assert.isDefined(grace?.[1])
        assert.isDefined(stop?.[1])
        // The grace period, then the workers' in-flight handler transactions (the handler timeout,
        // 10 s by default), then a margin: docker stop must not SIGKILL before.
        assert.isAtLeast(Number(stop?.[1]), Number(grace?.[1]) + 10 + 1)

        const { TESSERA_AUTH_SECRET: _removed, ...without } = env
        const refused = yield* run("docker-compose", ["config", "-q"], without)
        assert.notStrictEqual(refused.code, 0)
        assert.include(refused.output, "set TESSERA_AUTH_SECRET in .env")
      })
  )

  it.live(
    "pnpm dev runs the stack under node --watch and restarts it when a source file changes",
    () =>
      Effect.gen(function* () {
        const manifest: unknown = JSON.parse(Fs.readFileSync(Path.join(repoRoot, "package.json"), "utf8"))
        const scripts =
          typeof manifest === "object" && manifest !== null && "scripts" in manifest ? manifest.scripts : undefined
        const dev = typeof scripts === "object" && scripts !== null && "dev" in scripts ? String(scripts.dev) : ""
        // `node scripts/tessera.mjs run node <args…>`: the front door puts the toolchain on PATH, then runs node.
        const nodeArgs = dev.split(" ").slice(dev.split(" ").indexOf("node", 1) + 1)
        assert.include(nodeArgs, "--watch")
        assert.strictEqual(nodeArgs[nodeArgs.length - 1], "apps/stack/src/main.ts")

        const root = Fs.mkdtempSync(Path.join(Os.tmpdir(), "tessera-dev-test-"))
        Fs.chmodSync(root, 0o755)
        const port = yield* freePort
        const child = yield* Effect.acquireRelease(
          Effect.sync(() =>
            spawn(process.execPath, nodeArgs, {
              cwd: repoRoot,
              env: {
                ...process.env,
                DATABASE_URL: "",
                TESSERA_DATA_DIR: Path.join(root, "pg"),
                TESSERA_POSTGRES_PORT: "0",
                PORT: String(port)
              },
              stdio: ["ignore", "pipe", "pipe"]
            })
          ),
          (child) =>
            Effect.callback<void>((resume) => {
              if (child.exitCode !== null || child.signalCode !== null) return resume(Effect.void)
              child.once("exit", () => resume(Effect.void))
              child.kill("SIGTERM")
            }).pipe(
              Effect.timeout("30 seconds"),
              Effect.ignore,
              Effect.andThen(Effect.sync(() => Fs.rmSync(root, { recursive: true, force: true })))
            )
        )
        let output = ""
        child.stdout.on("data", (chunk: Buffer) => {
          output += chunk.toString("utf8")
        })
        child.stderr.on("data", (chunk: Buffer) => {
          output += chunk.toString("utf8")
        })
        const ups = () => output.split("Tessera is up").length - 1
        const waitUntil = (done: () => boolean, what: string) =>
          Effect.gen(function* () {
            for (let i = 0; i < 900 && !done(); i++) yield* Effect.sleep(Duration.millis(100))
            if (!done()) return yield* Effect.die(`${what} did not happen; output:\n${output}`)
          })
        yield* waitUntil(() => ups() === 1, "the first start")
        // A change to a source file (its modification time; the content stays as it is).
        const main = Path.join(repoRoot, "apps/stack/src/main.ts")
        const now = new Date()
        Fs.utimesSync(main, now, now)
        yield* waitUntil(() => output.includes("Restarting"), "the restart")
        yield* waitUntil(() => ups() === 2, "the second start")
        assert.include(output, "Shutting down")
      }),
    { timeout: 180_000 }
  )
})
