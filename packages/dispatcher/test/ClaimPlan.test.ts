/**
 * #17.1: a queue table's statistics swing between empty and full. After ANALYZE of an empty
 * `dispatch.deliveries`, a take must still read a handful of rows from a large backlog, not
 * compare every pending row with every candidate. The test EXPLAINs the take's own query, taken
 * from the installed function's source with the function's own planner settings.
 */
import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { count, testLayer } from "./fixtures/Support.ts"

const BACKLOG = 20_000
const CONSUMER = "billing.plan"

interface PlanNode {
  readonly "Node Type": string
  readonly "Relation Name"?: string
  readonly "Actual Rows"?: number
  readonly "Actual Loops"?: number
  readonly Plans?: ReadonlyArray<PlanNode>
}

const nodes = (node: PlanNode): ReadonlyArray<PlanNode> => [node, ...(node.Plans ?? []).flatMap(nodes)]

/** BACKLOG events of `subjects` orders (`prefix0`, `prefix1`, …), each delivered to `consumer`. */
const backlog = (consumer: string, subjects: number, prefix = "o") =>
  Effect.flatMap(
    SqlClient.SqlClient,
    (sql) => sql`
      WITH e AS (
        INSERT INTO dispatch.events (event_id, event_type, event_version, producer, organization_id, subject_type,
          subject_id, actor_type, actor_id, correlation_id, occurred_at, recorded_at, payload)
        SELECT gen_random_uuid(), 'order.placed', 2, 'shop', 'org', 'order', ${prefix} || (g % ${subjects}), 'system', 's', 'c',
          now(), now(), jsonb_build_object('orderId', ${prefix} || (g % ${subjects}), 'seq', g, 'total', jsonb_build_object('amount', 1, 'currency', 'EUR'))
        FROM generate_series(1, ${BACKLOG}) g
        RETURNING position, subject_type, subject_id
      )
      INSERT INTO dispatch.deliveries (consumer, position, subject_key)
      SELECT ${consumer}, position, subject_type || ':' || subject_id FROM e`
  )

layer(testLayer(), { excludeTestServices: true })("claim plan", (it) => {
  it.effect(
    "after ANALYZE of the empty deliveries table, a take from a 20k backlog reads a few rows: no join over all pending rows",
    () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        // A drained queue table: its pages stay, its rows are gone. ANALYZE then records
        // reltuples = 0 with relpages > 0, the state autovacuum leaves after a drain.
        yield* backlog(CONSUMER, 500)
        yield* sql`DELETE FROM dispatch.deliveries`
        assert.strictEqual(yield* count("SELECT 1 FROM dispatch.deliveries"), 0)
        yield* sql`ANALYZE dispatch.deliveries`
        const [stats] = yield* sql<{ readonly pages: number; readonly tuples: number }>`
          SELECT relpages AS pages, reltuples::float8 AS tuples FROM pg_class WHERE oid = 'dispatch.deliveries'::regclass`
        assert.isTrue((stats?.pages ?? 0) > 0 && stats?.tuples === 0, `drained and analyzed: ${JSON.stringify(stats)}`)
        yield* backlog(CONSUMER, 500)
        // A few subjects backing off, as while workers run.
        yield* sql`
          UPDATE dispatch.deliveries SET available_at = now() + interval '1 minute'
          WHERE consumer = ${CONSUMER} AND position IN (SELECT min(position) FROM dispatch.deliveries GROUP BY subject_key LIMIT 8)`

        const [fn] = yield* sql<{ readonly src: string; readonly config: ReadonlyArray<string> | null }>`
          SELECT p.prosrc AS src, p.proconfig AS config FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
          WHERE n.nspname = 'dispatch' AND p.proname = 'take'`
        const pickQuery = /-- pick:begin([\s\S]*?)-- pick:end/.exec(fn?.src ?? "")?.[1]
        assert.isDefined(pickQuery, "the take function marks its pick query")
        const [first] = yield* sql<{ readonly position: string }>`
          SELECT min(position)::text AS position FROM dispatch.deliveries WHERE consumer = ${CONSUMER}`
        const pick = (pickQuery ?? "")
          .replaceAll("p_consumer", `'${CONSUMER}'`)
          .replaceAll("p_limit", "16")
          .replaceAll("v_first", first?.position ?? "0")
          .replaceAll("p_floor", "0")
        const settings = fn?.config ?? []
        assert.includeMembers([...settings], ["enable_hashjoin=off", "enable_mergejoin=off", "enable_seqscan=off"])

        const plan = yield* sql.withTransaction(
          Effect.gen(function* () {
            for (const setting of settings) {
              const [name, value] = setting.split("=")
              yield* sql`SELECT set_config(${name ?? ""}, ${value ?? ""}, true)`
            }
            const rows = yield* sql.unsafe<{ readonly "QUERY PLAN": ReadonlyArray<{ readonly Plan: PlanNode }> }>(
              `EXPLAIN (ANALYZE, FORMAT JSON) ${pick}`
            )
            return rows[0]?.["QUERY PLAN"][0]?.Plan
          })
        )
        assert.isDefined(plan)
        const all = plan === undefined ? [] : nodes(plan)
        const types = all.map((n) => n["Node Type"])
        assert.notInclude(types, "Hash Join")
        assert.notInclude(types, "Merge Join")
        assert.notInclude(types, "Seq Scan")
        // No sort over deliveries themselves: a Sort may only order the bounded window's heads (PostgreSQL
        // 15 sorts the window's candidates, 18 does not), never rows read from the table.
        for (const node of all.filter((n) => n["Node Type"] === "Sort")) {
          assert.isAtMost(node["Actual Rows"] ?? 0, 16, "a sort orders the picked heads only")
        }
        const read = all
          .filter((n) => n["Relation Name"] === "deliveries")
          .reduce((sum, n) => sum + (n["Actual Rows"] ?? 0) * (n["Actual Loops"] ?? 1), 0)
        // Read in position order until 16 heads are found (each checked once for being its subject's
        // head): a few dozen rows, whatever the backlog (20,000 here; the v1 shape read 320,016).
        assert.isAtMost(read, 200, `rows read from deliveries: ${read} (${JSON.stringify(types)})`)

        // And the function itself takes a full group, one row per subject.
        const taken = yield* sql.withTransaction(sql`SELECT * FROM dispatch.take(${CONSUMER}, 16, NULL, 0, 0, 0)`)
        assert.strictEqual(taken.length, 16)
        assert.strictEqual(new Set(taken.map((r) => r.subject_key)).size, 16, "one row per subject")
      }),
    60_000
  )

  it.effect(
    "when the heads are scarce (few subjects, long tails, all backing off) a take reads a bounded number of rows, not the backlog",
    () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const consumer = "billing.scarce"
        yield* backlog(consumer, 5, "t")
        yield* sql`ANALYZE dispatch.deliveries`
        // The five heads are backing off: nothing can be taken, and finding that out must be cheap.
        yield* sql`
          UPDATE dispatch.deliveries SET available_at = now() + interval '1 minute'
          WHERE consumer = ${consumer} AND position IN (
            SELECT min(position) FROM dispatch.deliveries WHERE consumer = ${consumer} GROUP BY subject_key)`
        // Nothing is taken...
        assert.strictEqual(
          (yield* sql.withTransaction(sql`SELECT * FROM dispatch.take(${consumer}, 16, NULL, 0, 0, 0)`)).length,
          0
        )
        // ...and finding that out reads the window and one probe per subject, not the backlog:
        // both of the take's queries, from the installed function, with its settings.
        const [fn] = yield* sql<{ readonly src: string; readonly config: ReadonlyArray<string> | null }>`
          SELECT p.prosrc AS src, p.proconfig AS config FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
          WHERE n.nspname = 'dispatch' AND p.proname = 'take'`
        const [first] = yield* sql<{ readonly position: string }>`
          SELECT min(position)::text AS position FROM dispatch.deliveries WHERE consumer = ${consumer}`
        const part = (marker: string) =>
          (new RegExp(`-- ${marker}:begin([\\s\\S]*?)-- ${marker}:end`).exec(fn?.src ?? "")?.[1] ?? "")
            .replaceAll("p_consumer", `'${consumer}'`)
            .replaceAll("p_limit", "16")
            .replaceAll("v_first", first?.position ?? "0")
            .replaceAll("p_floor", "0")
            .replaceAll("p_floor", "0")
        const queries = [part("pick"), `WITH RECURSIVE subjects AS (${part("heads")}) SELECT count(*) FROM heads`]
        const read = yield* sql.withTransaction(
          Effect.gen(function* () {
            for (const setting of fn?.config ?? []) {
              const [name, value] = setting.split("=")
              yield* sql`SELECT set_config(${name ?? ""}, ${value ?? ""}, true)`
            }
            let total = 0
            for (const query of queries) {
              const rows = yield* sql.unsafe<{ readonly "QUERY PLAN": ReadonlyArray<{ readonly Plan: PlanNode }> }>(
                `EXPLAIN (ANALYZE, FORMAT JSON) ${query}`
              )
              const plan = rows[0]?.["QUERY PLAN"][0]?.Plan
              total += (plan === undefined ? [] : nodes(plan))
                .filter((n) => n["Relation Name"] === "deliveries")
                .reduce((sum, n) => sum + (n["Actual Rows"] ?? 0) * (n["Actual Loops"] ?? 1), 0)
            }
            return total
          })
        )
        assert.isBelow(read, 5000, `rows read by the claim's queries over a ${BACKLOG}-row backlog: ${read}`)
        // And a head due again is found even though it lies far behind the window.
        yield* sql`
          UPDATE dispatch.deliveries SET available_at = now()
          WHERE consumer = ${consumer} AND subject_key = 'order:t3' AND available_at > now()`
        const taken = yield* sql.withTransaction(
          sql<{ subject_key: string }>`SELECT subject_key FROM dispatch.take(${consumer}, 16, NULL, 0, 0, 0)`
        )
        assert.deepStrictEqual(
          taken.map((r) => r.subject_key),
          ["order:t3"]
        )
      }),
    60_000
  )
})
