/**
 * The hub's catalog as a whole: valid (keys in the domain, unique codes, examples that decode,
 * emitted events produced by `integration`), every contract implemented exactly once, its events
 * registered with the hub as their producer, and its consumer fitting the registry.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Catalog from "@tessera/contract-kit/Catalog"
import { catalog } from "@tessera/contracts/integration-hub/Catalog"
import { registry } from "@tessera/contracts/registry"
import * as Consumer from "@tessera/dispatcher/Consumer"
import * as IntegrationApp from "../src/IntegrationApp.ts"

describe("integration hub catalog", () => {
  it.effect("validates as the server validates it at boot", () =>
    Catalog.validate(catalog, { domain: IntegrationApp.DOMAIN, events: IntegrationApp.events })
  )

  it("every contract is implemented, once", () => {
    assert.deepStrictEqual(
      IntegrationApp.catalog.map((implementation) => implementation.contract),
      [...catalog]
    )
  })

  it("the hub's events are registered with integration as their producer; its consumer fits", () => {
    for (const event of IntegrationApp.events) {
      assert.strictEqual(registry.events[event.type]?.producer, "integration", event.type)
    }
    for (const consumer of IntegrationApp.consumers) assert.deepStrictEqual(Consumer.check(consumer, registry), [])
  })
})
