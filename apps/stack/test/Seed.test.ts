/**
 * `pnpm seed` as a user runs it (a child process against a database), checked in the database.
 */
import { execFile } from "node:child_process"
import * as Path from "node:path"
import { assert, layer } from "@effect/vitest"
import * as TestDatabase from "@tessera/test-harness/TestDatabase"
import { Effect, Redacted } from "effect"
import { SqlClient } from "effect/sql"

const seed = Path.join(import.meta.dirname, "..", "src", "seed.ts")

const runSeed = (databaseUrl: string) =>
  Effect.callback<{ code: number; output: string }>((resume) => {
    execFile(
      process.execPath,
      [seed],
      { env: { ...process.env, DATABASE_URL: databaseUrl } },
      (error, stdout, stderr) => {
        resume(
          Effect.succeed({
            code: error === null ? 0 : error.code === undefined ? 1 : Number(error.code),
            output: stdout + stderr
          })
        )
      }
    )
  })

const counts = Effect.flatMap(
  SqlClient.SqlClient,
  (sql) => sql<{
    pipelines: number
    stages: number
    companies: number
    contacts: number
    deals: number
    won: number
    tasks: number
  }>`
    SELECT
      (SELECT count(*)::int FROM crm.pipelines WHERE organization_id = 'demo') AS pipelines,
      (SELECT count(*)::int FROM crm.stages WHERE organization_id = 'demo') AS stages,
      (SELECT count(*)::int FROM crm.companies WHERE organization_id = 'demo') AS companies,
      (SELECT count(*)::int FROM crm.contacts WHERE organization_id = 'demo') AS contacts,
      (SELECT count(*)::int FROM crm.deals WHERE organization_id = 'demo') AS deals,
      (SELECT count(*)::int FROM crm.deals WHERE organization_id = 'demo' AND status = 'won') AS won,
      (SELECT count(*)::int FROM crm.tasks WHERE organization_id = 'demo') AS tasks`
).pipe(Effect.map((rows) => rows[0]))

layer(TestDatabase.layer(), { excludeTestServices: true })("pnpm seed", (it) => {
  it.effect(
    "creates the demo organization through the contracts, prints a token, and changes nothing when run again",
    () =>
      Effect.gen(function* () {
        const database = yield* TestDatabase.TestDatabase
        const first = yield* runSeed(Redacted.value(database.url))
        assert.strictEqual(first.code, 0, first.output)
        assert.match(first.output, /export TOKEN=[\w-]+\.[\w-]+\.[\w-]+/)
        assert.match(first.output, /built-in tracks crm-first-win/)
        const expected = { pipelines: 1, stages: 5, companies: 3, contacts: 4, deals: 5, won: 1, tasks: 1 }
        assert.deepStrictEqual(yield* counts, expected)
        const sql = yield* SqlClient.SqlClient
        const events = yield* sql<{
          n: number
        }>`SELECT count(*)::int AS n FROM dispatch.events WHERE organization_id = 'demo'`
        assert.isAbove(events[0]?.n ?? 0, 10)

        const second = yield* runSeed(Redacted.value(database.url))
        assert.strictEqual(second.code, 0, second.output)
        assert.match(second.output, /seeded before; nothing changed/)
        assert.deepStrictEqual(yield* counts, expected)
      })
  )
})
