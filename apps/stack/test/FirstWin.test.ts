import { assert } from "@effect/vitest"
import { catalog as crm } from "@tessera/contracts/crm/Catalog"
import { catalog as learning } from "@tessera/contracts/learning-journey/Catalog"
import { LearnerId, TrackId } from "@tessera/contracts/learning-journey/Shared"
import * as StackTest from "@tessera/test-kit/StackTest"
import { Effect } from "effect"
import { mains } from "../src/Mains.ts"
import * as Stack from "../src/Stack.ts"

const stack = StackTest.make({ apps: Stack.apps, domains: ["crm", "learning"], mains, catalogs: { crm, learning } })

stack.describe("the CRM first win", (it) => {
  it.effect("flow crm.first-win: a user's CRM work completes the learning track", () =>
    Effect.gen(function* () {
      yield* stack.seed("acme", { domains: ["learning"] })
      const { crm, learning } = yield* stack.clients({ userId: "ada", organizationId: "acme", roles: ["admin"] })
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
      assert.strictEqual(items[0]?.status, "completed")
      assert.strictEqual(items[0]?.xp, 700)
    })
  )
})
