/**
 * A fresh database per test file, copied from a template already migrated: the first stack of a
 * run with a given set of apps migrates a template database once (under an advisory lock, so
 * parallel test files wait for it instead of racing), every file then gets `CREATE DATABASE …
 * TEMPLATE` — a file copy instead of running every migration again. Same services as
 * `@tessera/test-harness/TestDatabase.layer()`; the file's database is dropped when released.
 *
 * Templates are per test run (named after the vitest process), so a changed migration is never
 * served stale; templates of runs that are gone are dropped when a new one is made.
 */
import { createHash, randomUUID } from "node:crypto"
import { PgClient } from "@effect/sql-pg"
import * as TestDatabase from "@tessera/test-harness/TestDatabase"
import { Effect, Layer, Redacted } from "effect"
import type { SqlClient } from "effect/sql"
import { inject } from "vitest"

const admin = (url: string) => PgClient.layer({ url: Redacted.make(url), maxConnections: 1 })

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** The run's template for `key`, migrated by `prepare` if it does not exist yet; its name. */
const ensureTemplate = (adminUrl: string, key: string, prepare: Layer.Layer<never, unknown, SqlClient.SqlClient>) =>
  Effect.gen(function* () {
    const sql = yield* PgClient.PgClient
    const run = process.ppid
    const name = `tk_${run}_${createHash("sha256").update(key).digest("hex").slice(0, 12)}`
    // The lock is the admin connection's (one connection): held until the template is there.
    yield* sql`SELECT pg_advisory_lock(hashtext(${name}))`
    const exists = yield* sql`SELECT 1 FROM pg_database WHERE datname = ${name}`
    if (exists.length === 0) {
      const stale = yield* sql<{ datname: string }>`SELECT datname FROM pg_database WHERE datname LIKE 'tk\\_%'`
      for (const { datname } of stale) {
        const pid = Number(datname.split("_")[1])
        if (Number.isFinite(pid) && pid !== run && !alive(pid))
          yield* sql`DROP DATABASE IF EXISTS ${sql(datname)} WITH (FORCE)`
      }
      const building = `${name}_b${randomUUID().replaceAll("-", "").slice(0, 8)}`
      yield* sql`CREATE DATABASE ${sql(building)}`
      yield* Effect.scoped(
        Layer.build(
          prepare.pipe(
            Layer.provide(PgClient.layer({ url: TestDatabase.urlFor(adminUrl, building), maxConnections: 2 }))
          )
        )
      )
      yield* sql`ALTER DATABASE ${sql(building)} RENAME TO ${sql(name)}`
    }
    yield* sql`SELECT pg_advisory_unlock(hashtext(${name}))`
    return name
  }).pipe(Effect.provide(admin(adminUrl)), Effect.scoped, Effect.orDie)

/** `TestDatabase` plus a pool, on a copy of the run's template for `key` (see the module comment). */
export const layer = (
  key: string,
  prepare: Layer.Layer<never, unknown, SqlClient.SqlClient>
): Layer.Layer<TestDatabase.TestDatabase | PgClient.PgClient | SqlClient.SqlClient> =>
  Layer.unwrap(
    Effect.gen(function* () {
      const adminUrl = inject("tesseraAdminUrl")
      const template = yield* ensureTemplate(adminUrl, key, prepare)
      const name = `test_${randomUUID().replaceAll("-", "").slice(0, 20)}`
      yield* Effect.acquireRelease(
        Effect.flatMap(PgClient.PgClient, (sql) => sql`CREATE DATABASE ${sql(name)} TEMPLATE ${sql(template)}`).pipe(
          Effect.provide(admin(adminUrl)),
          Effect.scoped,
          Effect.orDie
        ),
        () =>
          Effect.flatMap(PgClient.PgClient, (sql) => sql`DROP DATABASE IF EXISTS ${sql(name)} WITH (FORCE)`).pipe(
            Effect.provide(admin(adminUrl)),
            Effect.scoped,
            Effect.orDie
          )
      )
      const url = TestDatabase.urlFor(adminUrl, name)
      return Layer.merge(
        Layer.succeed(TestDatabase.TestDatabase, TestDatabase.TestDatabase.of({ name, url })),
        PgClient.layer({ url, maxConnections: 10 }).pipe(Layer.orDie)
      )
    })
  )
