/**
 * A database that cannot be reached at start names host, port, database and the cause an
 * operator acts on: authentication failed, connection refused, database does not exist, host not
 * found. Against a real server (embedded, with password authentication turned on for one role).
 */
import * as Fs from "node:fs"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import { PgClient } from "@effect/sql-pg"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import * as Database from "../src/Database.ts"
import * as EmbeddedPostgres from "../src/EmbeddedPostgres.ts"

const tempRoot = Effect.acquireRelease(
  Effect.sync(() => {
    const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "tessera-connect-test-"))
    Fs.chmodSync(dir, 0o755)
    return dir
  }),
  (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
)

const PASSWORD = "right-password-8c1e"

/** A server where role `app` must give its password (scram) and `postgres` is trusted. */
const passwordServer = Effect.gen(function* () {
  const root = yield* tempRoot
  const server = yield* EmbeddedPostgres.start({ dataDir: Path.join(root, "data"), port: 0 })
  yield* Effect.flatMap(PgClient.PgClient, (sql) =>
    Effect.gen(function* () {
      yield* sql.unsafe(`CREATE ROLE app LOGIN PASSWORD '${PASSWORD}'`)
      Fs.writeFileSync(
        Path.join(server.dataDir, "pg_hba.conf"),
        "host all postgres 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 scram-sha-256\n"
      )
      yield* sql`SELECT pg_reload_conf()`
    })
  ).pipe(Effect.provide(PgClient.layer({ url: server.url(), maxConnections: 1 })), Effect.scoped)
  return server
})

const connect = (url: string) => Effect.flip(Layer.build(Database.clientLayer(Redacted.make(url))).pipe(Effect.scoped))

const closedPort = Effect.callback<number>((resume) => {
  const probe = Net.createServer()
  probe.listen({ port: 0, host: "127.0.0.1" }, () => {
    const address = probe.address()
    probe.close(() => resume(Effect.succeed(typeof address === "object" && address !== null ? address.port : 0)))
  })
})

describe("connection failures at start", () => {
  it.live("authentication failed, database does not exist: named with host, port and database", () =>
    Effect.gen(function* () {
      const server = yield* passwordServer
      const base = `127.0.0.1:${server.port}`

      const wrong = yield* connect(`postgres://app:wrong-password@${base}/postgres`)
      assert.strictEqual(wrong.reason, "authentication failed")
      assert.strictEqual(
        wrong.message,
        `cannot connect to PostgreSQL at 127.0.0.1:${server.port}, database "postgres": authentication failed for user "app" (check the user and password in DATABASE_URL)`
      )
      assert.notInclude(wrong.message, "wrong-password")

      const missing = yield* connect(`postgres://app:${PASSWORD}@${base}/no_such_database`)
      assert.strictEqual(missing.reason, "database does not exist")
      assert.include(
        missing.message,
        `cannot connect to PostgreSQL at 127.0.0.1:${server.port}, database "no_such_database": database "no_such_database" does not exist`
      )

      // The right password connects.
      const context = yield* Layer.build(
        Database.clientLayer(Redacted.make(`postgres://app:${PASSWORD}@${base}/postgres`))
      )
      assert.isDefined(context)
    })
  )

  it.live("connection refused: nothing listens on the port", () =>
    Effect.gen(function* () {
      const port = yield* closedPort
      const refused = yield* connect(`postgres://app:secret@127.0.0.1:${port}/tessera`)
      assert.strictEqual(refused.reason, "connection refused")
      assert.include(
        refused.message,
        `cannot connect to PostgreSQL at 127.0.0.1:${port}, database "tessera": connection refused`
      )
      assert.notInclude(refused.message, "secret")
    })
  )

  it.live("host not found: a name that does not resolve", () =>
    Effect.gen(function* () {
      const unknown = yield* connect("postgres://app:secret@no-such-host.invalid:5432/tessera")
      assert.strictEqual(unknown.reason, "host not found")
      assert.include(
        unknown.message,
        'cannot connect to PostgreSQL at no-such-host.invalid:5432, database "tessera": host not found'
      )
    })
  )
})
