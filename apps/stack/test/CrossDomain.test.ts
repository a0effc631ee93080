/**
 * The CRM → learning journey flows end to end, on the test kit (docs/testing.md), in both run
 * modes: the apps in this process, and each app's own `main.ts` as a child process on the same
 * Postgres (`TESSERA_TEST_MODE` picks one; unset, both run). A user works through the CRM over
 * HTTP; the CRM's events travel through the dispatcher; the learning journey's progress follows.
 * Each test names the flow it covers (`packages/contracts/src/flows.ts`).
 */
import { assert } from "@effect/vitest"
import { catalog as crmCatalog } from "@tessera/contracts/crm/Catalog"
import { DealWonV2 } from "@tessera/contracts/crm/Events"
import { catalog as learningCatalog } from "@tessera/contracts/learning-journey/Catalog"
import { LearnerId, TrackId } from "@tessera/contracts/learning-journey/Shared"
import * as StackTest from "@tessera/test-kit/StackTest"
import { Effect } from "effect"
import { mains } from "../src/Mains.ts"
import * as Stack from "../src/Stack.ts"

const catalogs = { crm: crmCatalog, learning: learningCatalog }
type Clients = StackTest.Clients<typeof catalogs>

const admin = (userId: string, organizationId: string) => ({ userId, organizationId, roles: ["admin"] })

const progressOf = (c: Clients, learnerId: string) =>
  Effect.map(
    c.learning["learning.onboarding.getProgress"]({
      payload: { learnerId: LearnerId.make(learnerId), trackId: TrackId.make("crm-first-win") }
    }),
    (answer) => answer.items[0]
  )

/** A pipeline, a contact and a deal: the track's first three steps. */
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
    yield* c.crm["crm.contact.create"]({ payload: { firstName: "Ada", lastName: "Lovelace" } })
    const deal = yield* c.crm["crm.deal.create"]({
      payload: { name: "First deal", value: { amountMinor: 500_000, currency: "EUR" }, pipelineId: pipeline.id },
      headers: {}
    })
    return { pipeline, deal }
  })

/** Three moves, the win and a completed follow-up task: the rest of the track. */
const secondHalf = (c: Clients, work: Effect.Success<ReturnType<typeof firstHalf>>) =>
  Effect.gen(function* () {
    for (const stage of work.pipeline.stages.slice(1, 4)) {
      yield* c.crm["crm.deal.move"]({ payload: { dealId: work.deal.id, stageId: stage.id } })
    }
    yield* c.crm["crm.deal.win"]({ payload: { dealId: work.deal.id, source: "referral" } })
    const task = yield* c.crm["crm.task.create"]({
      payload: { type: "follow_up", title: "Thank them", dealId: work.deal.id }
    })
    yield* c.crm["crm.task.complete"]({ payload: { taskId: task.id } })
  })

for (const mode of StackTest.modes()) {
  const stack = StackTest.make({ apps: Stack.apps, domains: ["crm", "learning"], mains, catalogs, mode })

  stack.describe(`the CRM first win across domains (${mode})`, (it) => {
    it.effect("flow crm.first-win: XP and badge, each step's causal chain, and a redelivery changes nothing", () =>
      Effect.gen(function* () {
        yield* stack.seed("acme", { domains: ["learning"] })
        const c = yield* stack.clients(admin("ada", "acme"), { correlationId: "ada-first-win" })
        yield* secondHalf(c, yield* firstHalf(c))
        yield* stack.settle()

        const done = yield* progressOf(c, "ada")
        assert.strictEqual(done?.status, "completed")
        assert.strictEqual(done?.xp, 700)
        assert.include(done?.badges ?? [], "crm-first-win")
        assert.isTrue(done?.steps.every((step) => step.status === "completed"))

        // The win (read as its current version, whatever version was stored), handled by the journey,
        // caused its onboarding events (by causation id).
        const [won] = yield* stack.eventsOf(DealWonV2, { organizationId: "acme" })
        assert.strictEqual(won?.payload.wonSource, "referral")
        const chain = yield* stack.chain("ada-first-win")
        const winNode = chain.roots.find((node) => node.event.type === "deal.won")
        assert.deepStrictEqual(winNode?.handledBy, ["learning.progress"], chain.text)
        assert.isTrue(
          chain.events.some((event) => event.type === "onboarding.completed"),
          `no onboarding.completed in the chain:\n${chain.text}`
        )

        // Another user of the organization has made no progress.
        const bea = yield* stack.clients({ userId: "bea", organizationId: "acme" })
        assert.notStrictEqual((yield* progressOf(bea, "bea"))?.status, "completed")

        // At-least-once delivery: every event handed to the consumer again changes nothing.
        const again = yield* stack.faults.redeliver("learning.progress", { organizationId: "acme" })
        assert.strictEqual(again, 8) // pipeline, contact, deal, 3 moves, win, task completed
        yield* stack.settle()
        assert.deepStrictEqual(yield* progressOf(c, "ada"), done)
      })
    )

    it.effect(
      "flow crm.first-win-catch-up: the CRM works while the journey's consumer is down; it then catches up",
      () =>
        Effect.gen(function* () {
          yield* stack.seed("globex", { domains: ["learning"] })
          const c = yield* stack.clients(admin("hal", "globex"))
          const work = yield* firstHalf(c)
          yield* stack.settle()
          const partway = yield* progressOf(c, "hal")
          assert.strictEqual(partway?.status, "in_progress")
          assert.strictEqual(partway?.steps.filter((s) => s.status === "completed").length, 3)

          // Down: as a process, the journey's own process is stopped; in one process, its consumer paused.
          if (stack.mode === "processes") yield* stack.processes.stop("learning")
          else yield* stack.faults.pause("learning.progress")
          yield* secondHalf(c, work) // the CRM does not depend on its consumers being up
          assert.strictEqual((yield* stack.lag("learning.progress")).pending, 5) // 3 moves, the win, the task

          if (stack.mode === "processes") yield* stack.processes.start("learning")
          else yield* stack.faults.resume("learning.progress")
          yield* stack.settle()
          const done = yield* progressOf(c, "hal")
          assert.strictEqual(done?.status, "completed")
          assert.strictEqual(done?.xp, 700)
          assert.strictEqual((yield* stack.lag("learning.progress")).pending, 0)
        })
    )

    it.effect("flow crm.activity-streak: CRM work on consecutive days is a streak; a day without starts it over", () =>
      Effect.gen(function* () {
        yield* stack.seed("initech", { domains: ["learning"] })
        const c = yield* stack.clients(admin("sam", "initech"))
        const day = (n: number) => new Date(Date.UTC(2031, 0, n, 12))
        yield* stack.clock.set(day(5))
        const work = yield* firstHalf(c) // day 5
        const moveTo = (n: number) =>
          Effect.forEach(work.pipeline.stages.slice(n, n + 1), (stage) =>
            c.crm["crm.deal.move"]({ payload: { dealId: work.deal.id, stageId: stage.id } })
          )
        yield* stack.settle()
        yield* stack.clock.set(day(6))
        yield* moveTo(1)
        yield* stack.settle()
        yield* stack.clock.set(day(7))
        yield* moveTo(2)
        yield* stack.settle()
        const three = yield* progressOf(c, "sam")
        assert.deepStrictEqual(three?.streak, { current: 3, longest: 3, lastActiveDay: "2031-01-07" })

        yield* stack.clock.set(day(9)) // day 8 without CRM work
        yield* moveTo(3)
        yield* stack.settle()
        yield* stack.clock.set(new Date())
        const after = yield* progressOf(c, "sam")
        assert.deepStrictEqual(after?.streak, { current: 1, longest: 3, lastActiveDay: "2031-01-09" })
      })
    )
  })
}
