/**
 * The first cross-domain flow, end to end: a user works through the CRM over HTTP, the CRM's
 * events travel through the dispatcher, and the learning journey's "CRM first win" track for
 * that user reaches completed with its XP and badge. Run both ways Tessera runs:
 *
 * - the stack: one process with every app mounted (`apps/stack/src/main.ts`);
 * - separate processes: the CRM's and the learning journey's own `main.ts`, one shared Postgres —
 *   where the CRM keeps working while the learning journey is stopped, and the journey catches
 *   up when it starts again.
 *
 * Processes are real child processes; the database is the test file's own.
 */
import { assert, layer } from "@effect/vitest"
import type { Principal } from "@tessera/contract-kit/Contract"
import * as ContractApi from "@tessera/contract-kit/ContractApi"
import * as ContractClient from "@tessera/contract-kit/ContractClient"
import * as Auth from "@tessera/contract-server/Auth"
import { catalog as crmCatalog } from "@tessera/contracts/crm/Catalog"
import type { StageId } from "@tessera/contracts/crm/Shared"
import { catalog as learningCatalog } from "@tessera/contracts/learning-journey/Catalog"
import { LearnerId, TrackId } from "@tessera/contracts/learning-journey/Shared"
import * as TestDatabase from "@tessera/test-harness/TestDatabase"
import { Effect, Layer, Redacted } from "effect"
import { FetchHttpClient } from "effect/http"
import { SqlClient } from "effect/sql"
import { eventually, freePort, runScript, script, spawnProcess, waitFor } from "./support/Processes.ts"

const CrmApi = ContractApi.make("crm", crmCatalog)
const LearningApi = ContractApi.make("learning", learningCatalog)
const TRACK = TrackId.make("crm-first-win")

/** Tokens as the processes verify them: the development secret (no TESSERA_AUTH_SECRET set). */
const token = (principal: Principal) => Effect.orDie(Auth.mintDevToken(principal))

const clients = (principal: Principal, crmPort: number, learningPort: number) =>
  Effect.gen(function* () {
    const bearer = yield* token(principal)
    return {
      crm: (yield* ContractClient.make(CrmApi, { token: bearer, baseUrl: `http://127.0.0.1:${crmPort}` })).crm,
      learning: (yield* ContractClient.make(LearningApi, {
        token: bearer,
        baseUrl: `http://127.0.0.1:${learningPort}`
      })).learning
    }
  })

type Clients = Effect.Success<ReturnType<typeof clients>>

const progressOf = (c: Clients, learnerId: string) =>
  Effect.map(
    c.learning["learning.onboarding.getProgress"]({
      payload: { learnerId: LearnerId.make(learnerId), trackId: TRACK }
    }),
    (answer) => answer.items[0]
  )

/** The user's CRM work, in two halves, so a test can stop the consumer in between. */
const firstHalf = (c: Clients) =>
  Effect.gen(function* () {
    const pipeline = yield* c.crm["crm.pipeline.create"]({
      payload: {
        name: "Sales",
        stages: [
          { name: "Lead", probability: 10 },
          { name: "Qualified", probability: 25 },
          { name: "Proposal", probability: 50 },
          { name: "Negotiation", probability: 75 },
          { name: "Won", probability: 100, isWon: true }
        ]
      }
    })
    const contact = yield* c.crm["crm.contact.create"]({ payload: { firstName: "Ada", lastName: "Lovelace" } })
    const deal = yield* c.crm["crm.deal.create"]({
      payload: {
        name: "First deal",
        value: { amountMinor: 500_000, currency: "EUR" },
        pipelineId: pipeline.id,
        contactId: contact.id
      },
      headers: {}
    })
    return { pipeline, deal }
  })

const secondHalf = (c: Clients, work: Effect.Success<ReturnType<typeof firstHalf>>) =>
  Effect.gen(function* () {
    const stages = work.pipeline.stages.map((stage) => stage.id as StageId)
    for (const stageId of stages.slice(1, 4)) {
      yield* c.crm["crm.deal.move"]({ payload: { dealId: work.deal.id, stageId } })
    }
    yield* c.crm["crm.deal.win"]({ payload: { dealId: work.deal.id, source: "referral" } })
    const task = yield* c.crm["crm.task.create"]({
      payload: { type: "follow_up", title: "Thank them", dealId: work.deal.id }
    })
    yield* c.crm["crm.task.complete"]({ payload: { taskId: task.id } })
  })

const pendingFor = (consumer: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<{ n: number }>`SELECT count(*)::int AS n FROM dispatch.deliveries WHERE consumer = ${consumer}`.pipe(
      Effect.map((rows) => rows[0]?.n ?? -1)
    )
  )

const completed = (c: Clients, learnerId: string) =>
  Effect.map(progressOf(c, learnerId), (progress) => (progress?.status === "completed" ? progress : undefined))

layer(TestDatabase.layer().pipe(Layer.provideMerge(FetchHttpClient.layer)), { excludeTestServices: true })(
  "the CRM first win, across domains",
  (it) => {
    it.effect(
      "in the stack: CRM work over HTTP completes the journey with its XP and badge; redelivery changes nothing",
      () =>
        Effect.gen(function* () {
          const database = yield* TestDatabase.TestDatabase
          const url = Redacted.value(database.url)
          const port = yield* freePort
          const stack = yield* spawnProcess(script("apps/stack/src/main.ts"), { DATABASE_URL: url, PORT: String(port) })
          yield* waitFor(stack, "Tessera is up")
          yield* runScript(script("apps/stack/src/seed.ts"), ["--app", "learning", "--org", "acme"], {
            DATABASE_URL: url
          })

          const ada: Principal = { userId: "ada", organizationId: "acme", roles: ["admin"] }
          const c = yield* clients(ada, port, port)
          const work = yield* firstHalf(c)
          yield* secondHalf(c, work)

          const done = yield* eventually(completed(c, "ada"))
          assert.strictEqual(done.xp, 700)
          assert.include(done.badges, "crm-first-win")
          assert.isTrue(done.steps.every((step) => step.status === "completed"))

          // Another user of the same organization has made no progress.
          const bea = yield* clients({ userId: "bea", organizationId: "acme", roles: [] }, port, port)
          const untouched = yield* progressOf(bea, "bea")
          assert.notStrictEqual(untouched?.status, "completed")

          // At-least-once delivery: hand every event to the consumer again.
          const sql = yield* SqlClient.SqlClient
          const requeued = yield* sql`
          INSERT INTO dispatch.deliveries (consumer, position, subject_key)
          SELECT 'learning.progress', e.position, e.subject_type || ':' || e.subject_id
          FROM dispatch.events e
          JOIN dispatch.subscriptions s ON s.event_type = e.event_type AND s.consumer = 'learning.progress'
          WHERE e.organization_id = 'acme'
          ON CONFLICT DO NOTHING
          RETURNING position`
          assert.strictEqual(requeued.length, 8) // pipeline, contact, deal, 3 moves, win, task completed
          yield* eventually(Effect.map(pendingFor("learning.progress"), (n) => (n === 0 ? true : undefined)))
          const again = yield* progressOf(c, "ada")
          assert.deepStrictEqual(again, done)
        })
    )

    it.effect(
      "as separate processes: the CRM keeps working while the learning journey is stopped, which then catches up",
      () =>
        Effect.gen(function* () {
          const database = yield* TestDatabase.TestDatabase
          const url = Redacted.value(database.url)
          const crmPort = yield* freePort
          const learningPort = yield* freePort
          yield* runScript(script("apps/stack/src/seed.ts"), ["--app", "learning", "--org", "globex"], {
            DATABASE_URL: url
          })
          const crm = yield* spawnProcess(script("apps/crm/src/main.ts"), { DATABASE_URL: url, PORT: String(crmPort) })
          const learning = yield* spawnProcess(script("apps/learning-journey/src/main.ts"), {
            DATABASE_URL: url,
            PORT: String(learningPort)
          })
          yield* waitFor(crm, "is up at")
          yield* waitFor(learning, "is up at")

          const hal: Principal = { userId: "hal", organizationId: "globex", roles: ["admin"] }
          const c = yield* clients(hal, crmPort, learningPort)
          const work = yield* firstHalf(c)
          const partway = yield* eventually(
            Effect.map(progressOf(c, "hal"), (progress) =>
              progress !== undefined && progress.steps.filter((s) => s.status === "completed").length === 3
                ? progress
                : undefined
            )
          )
          assert.strictEqual(partway.status, "in_progress")

          learning.child.kill("SIGTERM")
          yield* learning.exited
          // The CRM does not depend on its consumers being up.
          yield* secondHalf(c, work)
          assert.strictEqual(yield* pendingFor("learning.progress"), 5) // 3 moves, the win, the completed task

          const restarted = yield* spawnProcess(script("apps/learning-journey/src/main.ts"), {
            DATABASE_URL: url,
            PORT: String(learningPort)
          })
          yield* waitFor(restarted, "is up at")
          const done = yield* eventually(completed(c, "hal"))
          assert.strictEqual(done.xp, 700)
          assert.include(done.badges, "crm-first-win")
          assert.strictEqual(yield* pendingFor("learning.progress"), 0)
        })
    )
  }
)
