/**
 * Every acceptance scenario of every dispatch admin contract has a test that names it (by its key).
 */
import { assert, describe, it } from "@effect/vitest"
import * as Acceptance from "@tessera/contract-kit/Acceptance"
import { catalog } from "@tessera/contracts/dispatch/Catalog"

describe("acceptance scenarios", () => {
  it("each dispatch scenario key is named by a test", () => {
    assert.deepStrictEqual(Acceptance.uncovered(catalog, import.meta.dirname), [])
  })
})
