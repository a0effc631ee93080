/**
 * The database every Tessera process talks to: the server at `DATABASE_URL` when it is set,
 * otherwise an embedded PostgreSQL whose data lives in the git-ignored `.data/postgres` folder of
 * the checkout (kept across restarts, stopped when the layer is released).
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { PgClient } from "@effect/sql-pg"
import { Config, Context, Data, Effect, Layer, Option, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import * as EmbeddedPostgres from "./EmbeddedPostgres.ts"

export interface DatabaseInfoShape {
  /** Where the data lives: an embedded server this process started, or an external one. */
  readonly mode: "embedded" | "external"
  /** Host, port and database, never credentials. */
  readonly location: string
  /**
   * Fails when the embedded server stops under the process (it crashed, was killed, ran out of
   * disk, or the process sharing it stopped it); never for an external server, whose restarts the
   * pool rides out. `AppProcess` ends the process on it, with the message, so whatever supervises
   * the process (Docker, systemd, you) starts it again with a fresh server.
   */
  readonly lost: Effect.Effect<never, DatabaseLost>
}

/** The embedded PostgreSQL stopped without being asked to. */
export class DatabaseLost extends Data.TaggedError("DatabaseLost")<{
  readonly exit: EmbeddedPostgres.ServerExit
  readonly dataDir: string
}> {
  override get message(): string {
    const { exit } = this
    const how = exit.owned
      ? `exited unexpectedly (${exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`})`
      : "that this process shared with the process that started it has stopped"
    const lines = exit.lastLines.length > 0 ? `; its last log lines: ${exit.lastLines.join(" | ")}` : ""
    return (
      `the embedded PostgreSQL (pid ${exit.pid}, data in ${this.dataDir}) ${how}${lines}. ` +
      "The process stops so that it can be started again with a fresh server (a supervisor such as " +
      "Docker or systemd restarts it; otherwise run `npm start` again once the cause, e.g. a full disk, is fixed)."
    )
  }
}

/** Why a connection to PostgreSQL could not be made, in the words an operator acts on. */
export type ConnectFailure =
  | "authentication failed"
  | "connection refused"
  | "database does not exist"
  | "host not found"
  | "timed out"
  | "other"

/** The database named by `DATABASE_URL` (or the embedded one) cannot be reached at start. */
export class DatabaseUnreachable extends Data.TaggedError("DatabaseUnreachable")<{
  readonly host: string
  readonly port: string
  readonly database: string
  readonly user: string
  readonly reason: ConnectFailure
  readonly detail: string
  readonly cause?: unknown
}> {
  override get message(): string {
    const where = `PostgreSQL at ${this.host}:${this.port}, database "${this.database}"`
    switch (this.reason) {
      case "authentication failed":
        return `cannot connect to ${where}: authentication failed for user "${this.user}" (check the user and password in DATABASE_URL)`
      case "connection refused":
        return `cannot connect to ${where}: connection refused (is PostgreSQL running and listening on ${this.host}:${this.port}? check the host and port in DATABASE_URL)`
      case "database does not exist":
        return `cannot connect to ${where}: database "${this.database}" does not exist (create it, e.g. \`createdb ${this.database}\`, or fix the name in DATABASE_URL)`
      case "host not found":
        return `cannot connect to ${where}: host not found: "${this.host}" does not resolve (check the host in DATABASE_URL)`
      case "timed out":
        return `cannot connect to ${where}: timed out (is a firewall in the way? check the host and port in DATABASE_URL)`
      default:
        return `cannot connect to ${where}: ${this.detail}`
    }
  }
}

/** Every `code` on the chain of causes (Node's `ECONNREFUSED`, PostgreSQL's SQLSTATE `28P01`, …). */
const codesOf = (error: unknown): ReadonlyArray<string> => {
  const codes: Array<string> = []
  let current: unknown = error
  for (let depth = 0; depth < 8 && typeof current === "object" && current !== null; depth++) {
    if ("code" in current && typeof current.code === "string") codes.push(current.code)
    if ("errors" in current && Array.isArray(current.errors)) {
      for (const inner of current.errors) codes.push(...codesOf(inner))
    }
    current =
      "reason" in current && typeof current.reason === "object"
        ? current.reason
        : "cause" in current
          ? current.cause
          : undefined
  }
  return codes
}

const deepestMessage = (error: unknown): string => {
  let message = error instanceof Error ? error.message : String(error)
  let current: unknown = error
  for (let depth = 0; depth < 8 && typeof current === "object" && current !== null; depth++) {
    if (current instanceof Error && current.message !== "") message = current.message
    current =
      "reason" in current && typeof current.reason === "object"
        ? current.reason
        : "cause" in current
          ? current.cause
          : undefined
  }
  return message
}

/** Classifies a failed connection attempt. */
export const connectFailure = (error: unknown): ConnectFailure => {
  const codes = codesOf(error)
  const has = (...wanted: ReadonlyArray<string>) => codes.some((code) => wanted.includes(code))
  if (has("28P01", "28000")) return "authentication failed"
  if (has("3D000")) return "database does not exist"
  if (has("ECONNREFUSED")) return "connection refused"
  if (has("ENOTFOUND", "EAI_AGAIN", "EAI_NONAME")) return "host not found"
  if (has("ETIMEDOUT")) return "timed out"
  const text = deepestMessage(error)
  if (/password authentication failed|no password configured|requested password/i.test(text)) {
    return "authentication failed"
  }
  if (/timed? ?out/i.test(text)) return "timed out"
  return "other"
}

/** `error` (from connecting to `url`) as a `DatabaseUnreachable` naming host, port and database. */
export const unreachable = (url: Redacted.Redacted<string>, error: unknown): DatabaseUnreachable => {
  const parsed = URL.parse(Redacted.value(url))
  return new DatabaseUnreachable({
    host: parsed?.hostname || "localhost",
    port: parsed?.port || "5432",
    database: decodeURIComponent(parsed?.pathname.replace(/^\//, "") || parsed?.username || "postgres"),
    user: decodeURIComponent(parsed?.username || "postgres"),
    reason: connectFailure(error),
    detail: deepestMessage(error),
    cause: error
  })
}

export class DatabaseInfo extends Context.Service<DatabaseInfo, DatabaseInfoShape>()(
  "@tessera/database/DatabaseInfo"
) {}

/** The name of the application database created on the embedded server. */
export const EMBEDDED_DATABASE = "tessera"

/** The nearest folder above `from` holding `pnpm-workspace.yaml` (the checkout), else `from`. */
export const workspaceRoot = (from: string = process.cwd()): string => {
  let current = Path.resolve(from)
  for (;;) {
    if (Fs.existsSync(Path.join(current, "pnpm-workspace.yaml"))) return current
    const parent = Path.dirname(current)
    if (parent === current) return Path.resolve(from)
    current = parent
  }
}

/** `host:port/database` of a connection URL, for logs and health output (no credentials). */
export const describeUrl = (url: Redacted.Redacted<string>): string => {
  const parsed = URL.parse(Redacted.value(url))
  return parsed === null
    ? "(unparseable DATABASE_URL)"
    : `${parsed.hostname}:${parsed.port || "5432"}${parsed.pathname}`
}

export interface PoolOptions {
  readonly maxConnections?: number | undefined
  readonly applicationName?: string | undefined
}

/**
 * A pooled client to `url`, checked with a round trip so a wrong URL fails at start, with a
 * `DatabaseUnreachable` that names host, port, database and the cause.
 */
export const clientLayer = (url: Redacted.Redacted<string>, options: PoolOptions = {}) =>
  Layer.effectContext(
    Effect.gen(function* () {
      const context = yield* Layer.build(
        PgClient.layer({
          url,
          maxConnections: options.maxConnections ?? 10,
          applicationName: options.applicationName ?? "tessera",
          connectTimeout: "10 seconds"
        })
      )
      yield* Effect.flatMap(SqlClient.SqlClient, (sql) => sql`SELECT 1`).pipe(Effect.provideContext(context))
      return context
    }).pipe(Effect.mapError((error) => unreachable(url, error)))
  )

/**
 * The process's own pool (HTTP requests, health checks, migrations): `TESSERA_HTTP_POOL_SIZE`
 * connections (10). The dispatcher's workers have a pool of their own (`TESSERA_DISPATCH_POOL_SIZE`).
 */
const poolSize = Config.Int("TESSERA_HTTP_POOL_SIZE").pipe(
  Config.withDefault(10),
  Config.map((size) => Math.max(1, size))
)

/**
 * Creates `name` on the server at `adminUrl` unless it exists. Identifiers are quoted by the SQL
 * client, so any name is safe.
 */
export const ensureDatabase = (adminUrl: Redacted.Redacted<string>, name: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql`SELECT 1 AS found FROM pg_database WHERE datname = ${name}`
    if (rows.length === 0) {
      yield* sql`CREATE DATABASE ${sql(name)}`.pipe(
        // Two processes may race to create it; the loser sees a duplicate.
        Effect.catchIf(
          (error) => error.reason._tag === "UniqueViolation" || String(error.cause).includes("already exists"),
          () => Effect.void
        )
      )
    }
  }).pipe(Effect.provide(PgClient.layer({ url: adminUrl, maxConnections: 1 })), Effect.scoped)

const embedded = Layer.unwrap(
  Effect.gen(function* () {
    const dataDir = yield* Config.String("TESSERA_DATA_DIR").pipe(
      Config.withDefault(Path.join(workspaceRoot(), ".data", "postgres"))
    )
    // 0 picks any free port.
    const port = yield* Config.Int("TESSERA_POSTGRES_PORT").pipe(Config.withDefault(54329))
    const logPostgres = yield* Config.Boolean("TESSERA_POSTGRES_LOG").pipe(Config.withDefault(false))
    const server = yield* EmbeddedPostgres.start({
      dataDir,
      port,
      onLog: logPostgres ? (line) => console.error(`[postgres] ${line}`) : undefined
    })
    const size = yield* poolSize
    yield* ensureDatabase(server.url(), EMBEDDED_DATABASE).pipe(
      Effect.mapError((error) => unreachable(server.url(), error))
    )
    const url = server.url(EMBEDDED_DATABASE)
    yield* Effect.logInfo(`Embedded PostgreSQL on ${describeUrl(url)} (data in ${server.dataDir})`)
    const lost = Effect.flatMap(server.exited, (exit) =>
      Effect.fail(new DatabaseLost({ exit, dataDir: server.dataDir }))
    )
    return Layer.merge(
      clientLayer(url, { maxConnections: size }),
      Layer.succeed(DatabaseInfo, DatabaseInfo.of({ mode: "embedded", location: describeUrl(url), lost }))
    )
  })
)

const external = (url: Redacted.Redacted<string>) =>
  Layer.unwrap(
    Effect.map(poolSize, (size) =>
      Layer.merge(
        clientLayer(url, { maxConnections: size }),
        Layer.succeed(
          DatabaseInfo,
          DatabaseInfo.of({ mode: "external", location: describeUrl(url), lost: Effect.never })
        )
      )
    )
  )

/**
 * `PgClient` and `SqlClient` for the whole process, plus what they point at. Define it once and
 * share it by reference: every use of this value shares one pool (and one embedded server).
 */
export const layer = Layer.unwrap(
  Effect.map(Config.option(Config.Redacted("DATABASE_URL")), (url) =>
    Option.match(
      Option.filter(url, (u) => Redacted.value(u).trim() !== ""),
      {
        onNone: () => embedded,
        onSome: external
      }
    )
  )
)
