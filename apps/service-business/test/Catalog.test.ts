/**
 * The service business's catalog as a whole: valid (keys in the domain, unique codes, examples
 * that decode, emitted events produced by `service`), fully implemented, its consumer fitting the
 * event registry, and its events registered with personal data marked.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Catalog from "@tessera/contract-kit/Catalog"
import { registry } from "@tessera/contracts/registry"
import { catalog } from "@tessera/contracts/service-business/Catalog"
import * as Consumer from "@tessera/dispatcher/Consumer"
import * as Registry from "@tessera/envelope/Registry"
import { CrmDealsConsumer } from "../src/consumers/CrmDealsConsumer.ts"
import * as ServiceApp from "../src/ServiceApp.ts"

describe("service-business catalog", () => {
  it.effect("validates as the server validates it at boot", () =>
    Catalog.validate(catalog, { domain: ServiceApp.DOMAIN, events: ServiceApp.events })
  )

  it("every contract is implemented, once", () => {
    assert.deepStrictEqual(
      ServiceApp.catalog.map((implementation) => implementation.contract),
      [...catalog]
    )
  })

  it("the service.crmDeals consumer fits the event registry", () => {
    assert.deepStrictEqual(Consumer.check(CrmDealsConsumer, registry), [])
  })

  it("the events are registered with service as their producer, personal data marked, the registry consistent", () => {
    for (const event of ServiceApp.events) {
      assert.strictEqual(registry.events[event.type]?.producer, "service", event.type)
    }
    const pii = Object.fromEntries(ServiceApp.events.map((event) => [event.type, event.pii]))
    assert.deepStrictEqual(pii["service.quote.accepted"], ["acceptedBy"])
    assert.deepStrictEqual(pii["service.payment.received"], ["reference"])
    assert.deepStrictEqual(Registry.check(registry), [])
  })
})
