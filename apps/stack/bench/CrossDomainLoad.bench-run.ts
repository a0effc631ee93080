/**
 * The dispatcher under a real cross-domain load (issue #10's fifth figure; a benchmark: it prints,
 * it asserts nothing): the CRM over HTTP at its saturation rate — `BENCH_LOAD_CONNECTIONS` users
 * (16) each working deals as fast as the CRM answers for `BENCH_LOAD_SECONDS` (20) — while the
 * learning journey's real `learning.progress` consumer follows their events in the same process
 * (`StackTest`, in-process: the CRM, the learning journey, the dispatcher's workers and their pools).
 *
 * Printed: the CRM's event rate, the consumer's drain rate (events handled / time from the start
 * until it had handled them all) and their ratio (goal ≥ 1), the consumer's lag when the CRM
 * stopped, and the deadlocks PostgreSQL counted during the run (goal 0).
 *
 *   pnpm --filter @tessera/stack bench
 *   BENCH_LOAD_SECONDS=60 BENCH_LOAD_CONNECTIONS=16 pnpm --filter @tessera/stack bench
 */
import { it } from "@effect/vitest"
import { catalog as crm } from "@tessera/contracts/crm/Catalog"
import { catalog as learning } from "@tessera/contracts/learning-journey/Catalog"
import * as StackTest from "@tessera/test-kit/StackTest"
import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { mains } from "../src/Mains.ts"
import * as Stack from "../src/Stack.ts"

const seconds = Number(process.env.BENCH_LOAD_SECONDS ?? "20")
const connections = Number(process.env.BENCH_LOAD_CONNECTIONS ?? "16")
const ORGANIZATION = "load"

const catalogs = { crm, learning }
const stack = StackTest.make({ apps: Stack.apps, domains: ["crm", "learning"], mains, catalogs, mode: "in-process" })

const now = Effect.sync(() => performance.now())

const counters = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const [row] = yield* sql<{ readonly deadlocks: number; readonly events: number; readonly pending: number }>`
    SELECT
      (SELECT deadlocks::int FROM pg_stat_database WHERE datname = current_database()) AS deadlocks,
      (SELECT count(*)::int FROM dispatch.events WHERE organization_id = ${ORGANIZATION}) AS events,
      (SELECT count(*)::int FROM dispatch.deliveries WHERE consumer = 'learning.progress') AS pending`
  return row ?? { deadlocks: 0, events: 0, pending: 0 }
})

/** One user's work until `deadline`: a contact, a deal moved through three stages and won, again and again. */
const user = (index: number, deadline: number) =>
  Effect.gen(function* () {
    const { crm: client } = yield* stack.clients({
      userId: `user-${index}`,
      organizationId: ORGANIZATION,
      roles: ["admin"]
    })
    const pipeline = yield* client["crm.pipeline.create"]({
      payload: {
        name: `Sales ${index}`,
        stages: [
          { name: "Lead", probability: 10 },
          { name: "Demo", probability: 40 },
          { name: "Proposal", probability: 60 },
          { name: "Closing", probability: 80 },
          { name: "Won", probability: 100, isWon: true }
        ]
      }
    })
    let rounds = 0
    while (performance.now() < deadline) {
      yield* client["crm.contact.create"]({ payload: { firstName: "Load", lastName: `${index}-${rounds}` } })
      const deal = yield* client["crm.deal.create"]({
        payload: {
          name: `Deal ${index}-${rounds}`,
          value: { amountMinor: 1000, currency: "EUR" },
          pipelineId: pipeline.id
        },
        headers: {}
      })
      for (const stage of pipeline.stages.slice(1, 4)) {
        yield* client["crm.deal.move"]({ payload: { dealId: deal.id, stageId: stage.id } })
      }
      yield* client["crm.deal.win"]({ payload: { dealId: deal.id } })
      rounds++
    }
    return rounds
  })

it.effect(
  "the CRM at saturation with the learning journey's real consumer (prints figures)",
  () =>
    Effect.scoped(
      Effect.gen(function* () {
        const context = yield* Layer.build(stack.layer)
        yield* Effect.gen(function* () {
          yield* stack.seed(ORGANIZATION, { domains: ["learning"] })
          yield* stack.settle()
          const before = yield* counters
          const start = yield* now
          const deadline = start + seconds * 1000
          const rounds = yield* Effect.forEach(
            Array.from({ length: connections }, (_, i) => i),
            (i) => user(i, deadline),
            { concurrency: "unbounded" }
          )
          const produced = yield* now
          const atStop = yield* counters
          yield* stack.settle({ timeout: "15 minutes" })
          const drained = yield* now
          // PostgreSQL flushes a backend's statistics when it goes idle: give the last ones a moment.
          yield* Effect.sleep("1500 millis")
          const after = yield* counters
          const events = after.events - before.events
          const crmRate = events / ((produced - start) / 1000)
          const drainRate = events / ((drained - start) / 1000)
          const lines = [
            "",
            `cross-domain load: ${connections} CRM users for ${seconds} s (in-process: CRM, learning journey, dispatcher workers)`,
            `  CRM: ${rounds.reduce((a, b) => a + b, 0)} deals worked, ${events} events published, ${crmRate.toFixed(0)} events/s`,
            `  learning.progress: lag when the CRM stopped ${atStop.pending}; all handled ${((drained - produced) / 1000).toFixed(1)} s later`,
            `  drain rate ${drainRate.toFixed(0)} events/s = ${(drainRate / crmRate).toFixed(2)}× the CRM's event rate (goal ≥ 1.0×)`,
            `  deadlocks during the run: ${after.deadlocks - before.deadlocks} (goal 0)`,
            ""
          ]
          yield* Effect.sync(() => process.stdout.write(`${lines.join("\n")}\n`))
        }).pipe(Effect.provide(context))
      })
    ),
  { timeout: 1_800_000 }
)
