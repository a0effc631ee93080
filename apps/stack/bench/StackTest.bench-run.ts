/**
 * The test kit's cost per test file and per flow, in both run modes (a benchmark: it prints, it
 * asserts nothing):
 *
 * - start-up: building `StackTest`'s layer — a fresh database copied from the run's migrated
 *   template (the first file migrates it), every mounted app's routes on a server and its
 *   workers (in-process), or each app's `main.ts` as a child process (processes) — against the
 *   baseline every database test pays: a fresh database alone (`TestDatabase.layer()`);
 * - the CRM-first-win flow (docs/testing.md's example: 10 CRM calls, `settle`, one query) on a
 *   running stack, in each mode.
 *
 *   pnpm --filter @tessera/stack bench
 *   BENCH_RUNS=10 BENCH_PROCESS_RUNS=3 pnpm --filter @tessera/stack bench
 */
import { it } from "@effect/vitest"
import { catalog as crm } from "@tessera/contracts/crm/Catalog"
import { catalog as learning } from "@tessera/contracts/learning-journey/Catalog"
import { LearnerId, TrackId } from "@tessera/contracts/learning-journey/Shared"
import * as TestDatabase from "@tessera/test-harness/TestDatabase"
import * as StackTest from "@tessera/test-kit/StackTest"
import { Effect, Layer } from "effect"
import { mains } from "../src/Mains.ts"
import * as Stack from "../src/Stack.ts"

const runs = Number(process.env.BENCH_RUNS ?? "5")
const processRuns = Number(process.env.BENCH_PROCESS_RUNS ?? "2")
const catalogs = { crm, learning }

const now = Effect.sync(() => performance.now())

const timed = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const start = yield* now
    const value = yield* effect
    return { value, millis: (yield* now) - start }
  })

const median = (values: ReadonlyArray<number>) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN
}

const ms = (value: number) => `${value.toFixed(0)} ms`

type Kit = ReturnType<typeof make>
const make = (mode: StackTest.Mode, domains?: ReadonlyArray<string>) =>
  StackTest.make({ apps: Stack.apps, domains, mains, catalogs, mode })

/** docs/testing.md's CRM first win, for user `userId` of a fresh organization. */
const firstWin = (stack: Kit, organizationId: string) =>
  Effect.gen(function* () {
    yield* stack.seed(organizationId, { domains: ["learning"] })
    const { crm, learning } = yield* stack.clients({ userId: "ada", organizationId, roles: ["admin"] })
    const open = ["Demo", "Proposal", "Closing"].map((name) => ({ name, probability: 50 }))
    const lead = { name: "Lead", probability: 10 }
    const won = { name: "Won", probability: 100, isWon: true }
    const pipeline = yield* crm["crm.pipeline.create"]({ payload: { name: "Sales", stages: [lead, ...open, won] } })
    yield* crm["crm.contact.create"]({ payload: { firstName: "Ada", lastName: "Lovelace" } })
    const value = { amountMinor: 500_000, currency: "EUR" }
    const deal = yield* crm["crm.deal.create"]({
      payload: { name: "Big", value, pipelineId: pipeline.id },
      headers: {}
    })
    for (const stage of pipeline.stages.slice(1, 4)) {
      yield* crm["crm.deal.move"]({ payload: { dealId: deal.id, stageId: stage.id } })
    }
    yield* crm["crm.deal.win"]({ payload: { dealId: deal.id } })
    const task = yield* crm["crm.task.create"]({ payload: { type: "follow_up", title: "Thanks", dealId: deal.id } })
    yield* crm["crm.task.complete"]({ payload: { taskId: task.id } })
    yield* stack.settle()
    const { items } = yield* learning["learning.onboarding.getProgress"]({
      payload: { learnerId: LearnerId.make("ada"), trackId: TrackId.make("crm-first-win") }
    })
    if (items[0]?.status !== "completed") return yield* Effect.die("the flow did not complete")
  })

/** Builds the layer (start-up), runs the flow `flows` times on it, tears it down; times of each. */
const measure = (stack: Kit, flows: number) =>
  Effect.gen(function* () {
    const up = yield* timed(Layer.build(stack.layer))
    const flowTimes: Array<number> = []
    for (let i = 0; i < flows; i++) {
      const run = yield* timed(firstWin(stack, `bench-${i}`).pipe(Effect.provide(up.value)))
      flowTimes.push(run.millis)
    }
    return { startup: up.millis, flows: flowTimes }
  })

it.effect(
  "StackTest start-up per file and the CRM-first-win flow, in both modes (prints figures)",
  () =>
    Effect.gen(function* () {
      const baseline: Array<number> = []
      for (let i = 0; i < runs; i++) {
        baseline.push((yield* Effect.scoped(timed(Layer.build(TestDatabase.layer())))).millis)
      }
      const all: Array<number> = []
      const teardown: Array<number> = []
      for (let i = 0; i < runs; i++) {
        const run = yield* timed(Effect.scoped(measure(make("in-process"), 0)))
        all.push(run.value.startup)
        teardown.push(run.millis - run.value.startup)
      }
      const flowStack = make("in-process", ["crm", "learning"])
      const inProcess = yield* Effect.scoped(measure(flowStack, runs))
      const processesStartup: Array<number> = []
      const processesFlows: Array<number> = []
      for (let i = 0; i < processRuns; i++) {
        const result = yield* Effect.scoped(measure(make("processes", ["crm", "learning"]), 2))
        processesStartup.push(result.startup)
        processesFlows.push(...result.flows)
      }
      const lines = [
        "",
        `StackTest benchmark (${runs} in-process runs, ${processRuns} processes runs; medians)`,
        `  apps: ${Stack.apps.map((app) => app.domain).join(", ")}`,
        `  baseline: fresh database alone                      ${ms(median(baseline))}`,
        `  start-up in-process, all apps (database copied from the migrated template, routes, workers)  ${ms(median(all))}  (${(median(all) / median(baseline)).toFixed(1)}× the baseline)`,
        `  start-up in-process, first file of a run (migrates the template)  ${ms(all[0] ?? Number.NaN)}`,
        `  tear-down in-process (workers stop, database dropped) ${ms(median(teardown))}`,
        `  start-up as processes, crm + learning (children up) ${ms(median(processesStartup))}  (${(median(processesStartup) / median(all)).toFixed(1)}× in-process)`,
        `  CRM-first-win flow in-process                       ${ms(median(inProcess.flows))}  (first ${ms(inProcess.flows[0] ?? Number.NaN)})`,
        `  CRM-first-win flow as processes                     ${ms(median(processesFlows))}  (${(median(processesFlows) / median(inProcess.flows)).toFixed(1)}× in-process)`,
        ""
      ]
      yield* Effect.sync(() => process.stdout.write(`${lines.join("\n")}\n`))
    }),
  { timeout: 900_000 }
)
