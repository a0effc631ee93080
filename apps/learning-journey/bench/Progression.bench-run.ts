/**
 * The cost of `Progression.record` per event as a learner's history grows (a benchmark: it prints,
 * it asserts nothing). The `learning.progress` consumer calls `record` once per delivered event,
 * each in its own transaction; here the same call runs against a real (embedded) PostgreSQL with
 * the built-in tracks installed, for `BENCH_LEARNERS` learners working deals in turn (a deal
 * created, moved three times, won, a call logged: CRM first win's events, the follow-up only at
 * the very end, so the track stays in progress and completes on the last event of each learner).
 *
 * After `BENCH_WARMUP` events of another organization (not measured), prints, for the first and
 * the last `BENCH_WINDOW` events: mean time per event and SQL statements
 * per event (client spans of `effect/sql`), their ratio last/first (flat cost ≈ 1), and a digest
 * of the emissions (to compare runs of two versions: it must not change). The baseline, in the
 * same run: one read of a learner's whole history of the track's event types at the end (what
 * `record` read for every event before it settled over evidence), against the last events' cost.
 *
 *   pnpm --filter @tessera/learning-journey bench
 *   BENCH_EVENTS=4000 BENCH_LEARNERS=2 BENCH_OUTER=1 pnpm --filter @tessera/learning-journey bench
 */
import { randomUUID } from "node:crypto"
import { layer } from "@effect/vitest"
import * as CrmEvents from "@tessera/contracts/crm/Events"
import * as AppTest from "@tessera/test-kit/AppTest"
import { Effect, Layer, Tracer } from "effect"
import { SqlClient } from "effect/sql"
import * as LearningApp from "../src/LearningApp.ts"
import { installBuiltInTracks } from "../src/seed.ts"
import { type IncomingEvent, Progression } from "../src/services/Progression.ts"
import { firstWin, type JourneyEvent, journeyEvent } from "../test/support/FirstWin.ts"

const total = Number(process.env.BENCH_EVENTS ?? "2000")
const learners = Number(process.env.BENCH_LEARNERS ?? "4")
const window = Number(process.env.BENCH_WINDOW ?? "200")
/** `BENCH_OUTER=1`: each event in a transaction of the bench's, as the dispatcher runs its handlers. */
const outer = process.env.BENCH_OUTER === "1"
/** `BENCH_NEW_TRACKS=1`: the tracks are created just before the events (as in a fresh stack). */
const newTracks = process.env.BENCH_NEW_TRACKS === "1"
const organizationId = "org_bench"
const warmupOrganization = "org_warmup"
const warmup = Number(process.env.BENCH_WARMUP ?? "300")

const MINUTE = 60_000
const t0 = Date.parse("2026-11-02T08:00:00.000Z")

const incoming = (event: JourneyEvent): IncomingEvent => ({
  eventId: randomUUID(),
  eventType: event.definition.type,
  eventVersion: event.definition.version,
  payload: event.json,
  occurredAt: new Date(event.occurredAt)
})

/** One learner's `count` events: deals worked one after another, a minute apart, the follow-up last. */
const eventsOf = (learner: string, count: number): ReadonlyArray<IncomingEvent> => {
  const events: Array<JourneyEvent> = []
  let minute = 0
  const at = () => new Date(t0 + minute++ * MINUTE).toISOString()
  for (let deal = 0; events.length < count; deal++) {
    const journey = firstWin({
      learner,
      ids: `${learner}_${deal}`,
      at: [at(), at(), at(), at(), at(), at(), at(), at()]
    })
    const done = at()
    const call = journeyEvent(
      CrmEvents.TaskCompleted,
      {
        taskId: `call_${learner}_${deal}`,
        type: "call",
        assigneeId: learner,
        dealId: null,
        contactId: null,
        completedAt: done
      },
      done
    )
    // The first deal's journey starts with the pipeline; later ones reuse it.
    events.push(...journey.slice(deal === 0 ? 0 : 1, 7), call)
  }
  const trimmed = events.slice(0, count - 1)
  const last = firstWin({ learner, ids: `${learner}_last`, at: [at(), at(), at(), at(), at(), at(), at(), at()] }).at(
    -1
  )
  return [...trimmed, ...(last === undefined ? [] : [last])].map(incoming)
}

/** Counts `effect/sql`'s statement spans (kind `client`). */
const statementCounter = () => {
  const counter = { statements: 0 }
  const tracer = Tracer.make({
    span(options) {
      if (options.kind === "client") counter.statements++
      return new Tracer.NativeSpan(options)
    }
  })
  return { counter, tracer }
}

const TestLayer = LearningApp.services.pipe(Layer.provideMerge(AppTest.layer([LearningApp.LearningApp])))

const mean = (values: ReadonlyArray<number>) => values.reduce((sum, value) => sum + value, 0) / values.length

layer(TestLayer, { excludeTestServices: true })("Progression.record cost per event", (it) => {
  it.effect(`${total} events of ${learners} learners`, () =>
    Effect.gen(function* () {
      const progression = yield* Progression
      const sql = yield* SqlClient.SqlClient
      yield* installBuiltInTracks(organizationId)
      // The tracks existed long before these events, as in a running organization (a track created
      // minutes ago has its progress proved from scratch on each event: `BENCH_NEW_TRACKS=1`).
      if (!newTracks) {
        yield* sql`UPDATE learning.tracks SET created_at = created_at - interval '1 day'
          WHERE organization_id = ${organizationId}`
      }
      const perLearner = Math.ceil(total / learners)
      const streams = Array.from({ length: learners }, (_, n) => eventsOf(`learner_${n}`, perLearner))
      // Round robin: the learners act in turn, as the CRM's users do.
      const deliveries: Array<{ readonly learner: string; readonly event: IncomingEvent }> = []
      for (let i = 0; i < perLearner; i++)
        streams.forEach((stream, n) => {
          const event = stream[i]
          if (event !== undefined && deliveries.length < total) deliveries.push({ learner: `learner_${n}`, event })
        })

      // Warm-up (JIT, prepared plans, the tracks in memory): another organization's learner, not measured.
      yield* installBuiltInTracks(warmupOrganization)
      for (const event of eventsOf("warmup", warmup)) {
        const recorded = progression.record(warmupOrganization, "warmup", event)
        yield* outer ? sql.withTransaction(recorded) : recorded
      }

      const { counter, tracer } = statementCounter()
      const millis: Array<number> = []
      const statements: Array<number> = []
      const digest = new Map<string, number>()
      for (const { learner, event } of deliveries) {
        const before = counter.statements
        const start = performance.now()
        const recorded = progression.record(organizationId, learner, event)
        const result = yield* (outer ? sql.withTransaction(recorded) : recorded).pipe(Effect.withTracer(tracer))
        millis.push(performance.now() - start)
        statements.push(counter.statements - before)
        for (const emission of result.emissions) {
          const key = emission._tag === "StepCompleted" ? `StepCompleted:${emission.payload.stepId}` : emission._tag
          digest.set(key, (digest.get(key) ?? 0) + 1)
        }
      }
      const first = { ms: mean(millis.slice(0, window)), statements: mean(statements.slice(0, window)) }
      const last = { ms: mean(millis.slice(-window)), statements: mean(statements.slice(-window)) }
      const progress = yield* Effect.forEach(
        Array.from({ length: learners }, (_, n) => `learner_${n}`),
        (learner) => progression.progress(organizationId, learner)
      )
      // The baseline: reading one learner's whole history of the CRM first win's event types.
      const types = ["pipeline.created", "contact.created", "deal.created", "deal.moved", "deal.won", "task.completed"]
      const reads: Array<number> = []
      for (let i = 0; i < 20; i++) {
        const start = performance.now()
        yield* sql`
          SELECT event_type, event_version, payload, learning.iso(occurred_at) AS occurred_at
          FROM learning.learner_events
          WHERE organization_id = ${organizationId} AND learner_id = ${`learner_${i % learners}`}
            AND ${sql.in("event_type", types)}
          ORDER BY occurred_at, event_id`
        reads.push(performance.now() - start)
      }
      const wholeHistory = mean(reads.slice(learners))
      const lines = [
        `Progression.record: ${deliveries.length} events, ${learners} learners (${perLearner} each), ${outer ? "each in a transaction of the caller's" : "one transaction per event"}${newTracks ? ", tracks created just before" : ""}`,
        `  first ${window}: ${first.ms.toFixed(2)} ms/event, ${first.statements.toFixed(2)} statements/event`,
        `  last  ${window}: ${last.ms.toFixed(2)} ms/event, ${last.statements.toFixed(2)} statements/event`,
        `  last/first: ${(last.ms / first.ms).toFixed(2)}× time, ${(last.statements / first.statements).toFixed(2)}× statements`,
        `  all: ${mean(millis).toFixed(2)} ms/event (${(1000 / mean(millis)).toFixed(0)} events/s)`,
        `  baseline: one read of a learner's whole history (${perLearner} events) ${wholeHistory.toFixed(2)} ms; last events' cost / that read: ${(last.ms / wholeHistory).toFixed(2)}×`,
        `  emissions: ${[...digest.entries()]
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([key, n]) => `${key}=${n}`)
          .join(" ")}`,
        `  final: ${progress
          .flat()
          .map((item) => `${item.learnerId}/${item.trackId}:${item.status}:${item.xp}`)
          .join(" ")}`
      ]
      yield* Effect.sync(() => process.stdout.write(`${lines.join("\n")}\n`))
    })
  )
})
