/**
 * The CRM's catalog as a whole: valid (keys in the domain, unique codes, examples that decode,
 * emitted events produced by `crm`), every contract implemented exactly once, and its events
 * registered with the CRM as their producer. (Its docs pages and schema snapshot are generated
 * and checked in `packages/contracts`.)
 */
import { assert, describe, it } from "@effect/vitest"
import * as Catalog from "@tessera/contract-kit/Catalog"
import { catalog } from "@tessera/contracts/crm/Catalog"
import { registry } from "@tessera/contracts/registry"
import { Effect } from "effect"
import * as CrmApp from "../src/CrmApp.ts"

describe("crm catalog", () => {
  it.effect("validates as the server validates it at boot", () =>
    Catalog.validate(catalog, { domain: CrmApp.DOMAIN, events: CrmApp.events })
  )

  it("every contract is implemented, once", () => {
    assert.deepStrictEqual(
      CrmApp.catalog.map((implementation) => implementation.contract),
      [...catalog]
    )
  })

  it.effect("the CRM's events are registered with crm as their producer", () =>
    Effect.sync(() => {
      for (const event of CrmApp.events) {
        assert.strictEqual(registry.events[event.type]?.producer, "crm", event.type)
      }
    })
  )
})
