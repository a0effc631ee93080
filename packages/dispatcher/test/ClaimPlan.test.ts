/**
 * #17.1: a queue table's statistics swing between empty and full. After ANALYZE of an empty
 * `dispatch.deliveries`, the claim must still read a handful of rows from a large backlog, not
 * compare every pending row with every candidate. The test EXPLAINs the claim's own query, taken
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

layer(testLayer(), { excludeTestServices: true })("claim plan", (it) => {
  it.effect(
    "after ANALYZE of the empty deliveries table, the claim from a 20k backlog reads a few rows: no join over all pending rows",
    () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        // A drained queue table: its pages stay, its rows are gone. ANALYZE then records
        // reltuples = 0 with relpages > 0, the state autovacuum leaves after a drain.
        const backlog = sql`
          WITH e AS (
            INSERT INTO dispatch.events (event_id, event_type, event_version, producer, organization_id, subject_type,
              subject_id, actor_type, actor_id, correlation_id, occurred_at, recorded_at, payload)
            SELECT gen_random_uuid(), 'order.placed', 2, 'shop', 'org', 'order', 'o' || (g % 500), 'system', 's', 'c',
              now(), now(), jsonb_build_object('orderId', 'o' || (g % 500), 'seq', g, 'total', jsonb_build_object('amount', 1, 'currency', 'EUR'))
            FROM generate_series(1, ${BACKLOG}) g
            RETURNING position, subject_type, subject_id
          )
          INSERT INTO dispatch.deliveries (consumer, position, subject_key)
          SELECT ${CONSUMER}, position, subject_type || ':' || subject_id FROM e`
        yield* backlog
        yield* sql`DELETE FROM dispatch.deliveries`
        assert.strictEqual(yield* count("SELECT 1 FROM dispatch.deliveries"), 0)
        yield* sql`ANALYZE dispatch.deliveries`
        const [stats] = yield* sql<{ readonly pages: number; readonly tuples: number }>`
          SELECT relpages AS pages, reltuples::float8 AS tuples FROM pg_class WHERE oid = 'dispatch.deliveries'::regclass`
        assert.isTrue((stats?.pages ?? 0) > 0 && stats?.tuples === 0, `drained and analyzed: ${JSON.stringify(stats)}`)
        yield* backlog
        // A few subjects in flight, as while workers run.
        yield* sql`
          UPDATE dispatch.deliveries SET leased_until = now() + interval '1 minute', lease_token = 1
          WHERE consumer = ${CONSUMER} AND position IN (SELECT min(position) FROM dispatch.deliveries GROUP BY subject_key LIMIT 8)`

        const [fn] = yield* sql<{ readonly src: string; readonly config: ReadonlyArray<string> | null }>`
          SELECT p.prosrc AS src, p.proconfig AS config FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
          WHERE n.nspname = 'dispatch' AND p.proname = 'claim_group'`
        const windowQuery = /-- window:begin([\s\S]*?)-- window:end/.exec(fn?.src ?? "")?.[1]
        const pickQuery = /-- pick:begin([\s\S]*?)-- pick:end/.exec(fn?.src ?? "")?.[1]
        assert.isDefined(windowQuery, "the claim function marks its window")
        assert.isDefined(pickQuery, "the claim function marks its pick query")
        const pick = `WITH win AS MATERIALIZED (${windowQuery}) ${pickQuery}`
          .replaceAll("p_consumer", `'${CONSUMER}'`)
          .replaceAll("p_limit", "16")
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
        // The window is at most 2,000 rows, each checked once for being its subject's head: at most
        // about 4,000 rows read whatever the backlog (20,000 here; the old shape read 320,016).
        assert.isAtMost(read, 4_100, `rows read from deliveries: ${read} (${JSON.stringify(types)})`)

        // And the function itself claims a full group.
        const claimed = yield* sql`SELECT * FROM dispatch.claim_group(${CONSUMER}, 16, 60000, 5, false)`
        assert.strictEqual(claimed.length, 16)
        assert.strictEqual(new Set(claimed.map((r) => r.subject_key)).size, 16, "one row per subject")
      }),
    60_000
  )

  it.effect(
    "when the heads are scarce (few subjects, long tails, all in flight) a claim reads a bounded number of rows, not the backlog",
    () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const consumer = "billing.scarce"
        yield* sql`
          WITH e AS (
            INSERT INTO dispatch.events (event_id, event_type, event_version, producer, organization_id, subject_type,
              subject_id, actor_type, actor_id, correlation_id, occurred_at, recorded_at, payload)
            SELECT gen_random_uuid(), 'order.placed', 2, 'shop', 'org', 'order', 't' || (g % 5), 'system', 's', 'c',
              now(), now(), jsonb_build_object('orderId', 't' || (g % 5), 'seq', g, 'total', jsonb_build_object('amount', 1, 'currency', 'EUR'))
            FROM generate_series(1, ${BACKLOG}) g
            RETURNING position, subject_type, subject_id
          )
          INSERT INTO dispatch.deliveries (consumer, position, subject_key)
          SELECT ${consumer}, position, subject_type || ':' || subject_id FROM e`
        yield* sql`ANALYZE dispatch.deliveries`
        // The five heads are in flight: nothing is claimable, and finding that out must be cheap.
        yield* sql`
          UPDATE dispatch.deliveries SET leased_until = now() + interval '1 minute', lease_token = 1
          WHERE consumer = ${consumer} AND position IN (
            SELECT min(position) FROM dispatch.deliveries WHERE consumer = ${consumer} GROUP BY subject_key)`
        // Nothing is claimable...
        assert.strictEqual((yield* sql`SELECT * FROM dispatch.claim_group(${consumer}, 16, 60000, 5, false)`).length, 0)
        // ...and finding that out reads the window and one probe per subject, not the backlog:
        // both of the claim's queries, from the installed function, with its settings.
        const [fn] = yield* sql<{ readonly src: string; readonly config: ReadonlyArray<string> | null }>`
          SELECT p.prosrc AS src, p.proconfig AS config FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
          WHERE n.nspname = 'dispatch' AND p.proname = 'claim_group'`
        const part = (marker: string) =>
          (new RegExp(`-- ${marker}:begin([\\s\\S]*?)-- ${marker}:end`).exec(fn?.src ?? "")?.[1] ?? "")
            .replaceAll("p_consumer", `'${consumer}'`)
            .replaceAll("p_limit", "16")
        const queries = [
          `WITH win AS MATERIALIZED (${part("window")}) ${part("pick")}`,
          `WITH RECURSIVE subjects AS (${part("heads")}) SELECT count(*) FROM heads`
        ]
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
        // And a head freed up is found even though it lies far behind the window.
        yield* sql`
          UPDATE dispatch.deliveries SET leased_until = NULL, lease_token = NULL
          WHERE consumer = ${consumer} AND subject_key = 'order:t3' AND lease_token = 1`
        const claimed = yield* sql<{
          subject_key: string
        }>`SELECT subject_key FROM dispatch.claim_group(${consumer}, 16, 60000, 5, false)`
        assert.deepStrictEqual(
          claimed.map((r) => r.subject_key),
          ["order:t3"]
        )
      }),
    60_000
  )
})
