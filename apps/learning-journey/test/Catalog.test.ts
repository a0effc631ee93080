/**
 * The learning journey's catalog as a whole: valid (keys in the domain, unique codes, examples
 * that decode, emitted events produced by `learning`), fully implemented, and its consumer fitting
 * the event registry. (Its docs pages and schema snapshot are generated and checked in
 * `packages/contracts`.)
 */
import { assert, describe, it } from "@effect/vitest"
import * as Catalog from "@tessera/contract-kit/Catalog"
import { catalog } from "@tessera/contracts/learning-journey/Catalog"
import { registry } from "@tessera/contracts/registry"
import * as Consumer from "@tessera/dispatcher/Consumer"
import { Effect } from "effect"
import { ProgressConsumer } from "../src/consumers/ProgressConsumer.ts"
import * as LearningApp from "../src/LearningApp.ts"

describe("learning-journey catalog", () => {
  it.effect("validates as the server validates it at boot", () =>
    Catalog.validate(catalog, { domain: LearningApp.DOMAIN, events: LearningApp.events })
  )

  it("every contract is implemented, once", () => {
    assert.deepStrictEqual(
      LearningApp.catalog.map((implementation) => implementation.contract),
      [...catalog]
    )
  })

  it("the learning.progress consumer fits the event registry", () => {
    assert.deepStrictEqual(Consumer.check(ProgressConsumer, registry), [])
  })

  it.effect("the onboarding events are registered with learning as their producer", () =>
    Effect.sync(() => {
      for (const event of LearningApp.events) {
        assert.strictEqual(registry.events[event.type]?.producer, "learning", event.type)
      }
    })
  )
})
