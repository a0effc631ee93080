/**
 * Shared body of the two isolation test files: each writes rows into a table of the same name
 * in its own database and must see only its own.
 */
import { assert, type Vitest } from "@effect/vitest"
import { Effect } from "effect"
import type { SqlClient as Sql } from "effect/sql"
import { SqlClient } from "effect/sql"
import { TestDatabase } from "../src/TestDatabase.ts"

export const isolationTest = (it: Vitest.MethodsNonLive<TestDatabase | Sql.SqlClient>, marker: string) =>
  it.effect(`sees only its own rows (${marker})`, () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const database = yield* TestDatabase
      const [current] = yield* sql<{ name: string }>`SELECT current_database() AS name`
      assert.strictEqual(current?.name, database.name)
      yield* sql`CREATE TABLE marks (marker text NOT NULL)`
      for (let i = 0; i < 20; i++) yield* sql`INSERT INTO marks VALUES (${marker})`
      // Give the other file time to write into its own table meanwhile.
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 200)))
      const rows = yield* sql<{
        marker: string
        n: string
      }>`SELECT marker, count(*)::text AS n FROM marks GROUP BY marker`
      assert.deepStrictEqual(rows, [{ marker, n: "20" }])
    })
  )
