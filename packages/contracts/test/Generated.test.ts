/**
 * The committed generated files match the contracts and the registry: docs pages for every
 * contract, breaking-change snapshots, the registry's JSON export and the event schema snapshot.
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { check } from "../scripts/Generated.ts"
import { catalog as crm, events as crmEvents } from "../src/crm/Catalog.ts"
import { catalog as learning } from "../src/learning-journey/Catalog.ts"
import { registry } from "../src/registry.ts"

describe("generated files", () => {
  it("are current (run `pnpm --filter @tessera/contracts generate` after changing a contract or an event)", () => {
    assert.deepStrictEqual(check(), [])
  })

  it("include a docs page for every contract", () => {
    for (const [folder, contracts] of [
      ["crm", crm],
      ["learning-journey", learning]
    ] as const) {
      for (const contract of contracts) {
        const page = Path.join(import.meta.dirname, "..", "docs", folder, `${contract.key}.md`)
        assert.isTrue(Fs.existsSync(page), `${page} is missing`)
        assert.include(Fs.readFileSync(page, "utf8"), contract.meta.description)
      }
    }
  })
})

describe("registry", () => {
  it("registers every event the CRM emits, with the CRM as producer and the definition it emits", () => {
    for (const contract of crm) {
      for (const { event } of contract.emits) {
        const entry = registry.events[event.type]
        assert.isDefined(entry, `${event.type} (emitted by ${contract.key}) is not registered`)
        assert.strictEqual(entry?.producer, "crm")
        assert.isTrue(
          entry?.versions.some((v) => v.definition === event),
          `${contract.key} emits a ${event.type}@${event.version} the registry does not hold`
        )
      }
    }
    assert.deepStrictEqual(
      crmEvents.map((event) => registry.events[event.type]?.producer),
      crmEvents.map(() => "crm")
    )
  })
})
