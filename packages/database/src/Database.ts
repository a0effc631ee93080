/**
 * The database every Tessera process talks to: the server at `DATABASE_URL` when it is set,
 * otherwise an embedded PostgreSQL whose data lives in the git-ignored `.data/postgres` folder of
 * the checkout (kept across restarts, stopped when the layer is released).
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { PgClient } from "@effect/sql-pg"
import { Config, Context, Effect, Layer, Option, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import * as EmbeddedPostgres from "./EmbeddedPostgres.ts"

export interface DatabaseInfoShape {
  /** Where the data lives: an embedded server this process started, or an external one. */
  readonly mode: "embedded" | "external"
  /** Host, port and database, never credentials. */
  readonly location: string
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

/** A pooled client to `url`, checked with a round trip so a wrong URL fails at start. */
export const clientLayer = (url: Redacted.Redacted<string>, options: PoolOptions = {}) =>
  Layer.effectDiscard(Effect.flatMap(SqlClient.SqlClient, (sql) => sql`SELECT 1`)).pipe(
    Layer.provideMerge(
      PgClient.layer({
        url,
        maxConnections: options.maxConnections ?? 10,
        applicationName: options.applicationName ?? "tessera",
        connectTimeout: "10 seconds"
      })
    )
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
    yield* ensureDatabase(server.url(), EMBEDDED_DATABASE)
    const url = server.url(EMBEDDED_DATABASE)
    yield* Effect.logInfo(`Embedded PostgreSQL on ${describeUrl(url)} (data in ${server.dataDir})`)
    return Layer.merge(
      clientLayer(url),
      Layer.succeed(DatabaseInfo, DatabaseInfo.of({ mode: "embedded", location: describeUrl(url) }))
    )
  })
)

const external = (url: Redacted.Redacted<string>) =>
  Layer.merge(
    clientLayer(url),
    Layer.succeed(DatabaseInfo, DatabaseInfo.of({ mode: "external", location: describeUrl(url) }))
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
