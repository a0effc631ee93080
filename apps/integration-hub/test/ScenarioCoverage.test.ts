/**
 * Every acceptance scenario of every integration-hub contract has a test that names it (by its
 * key), so a scenario added to a contract without a test fails here.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Acceptance from "@tessera/contract-kit/Acceptance"
import { catalog } from "@tessera/contracts/integration-hub/Catalog"

describe("acceptance scenarios", () => {
  it("each integration-hub scenario key is named by a test", () => {
    assert.deepStrictEqual(Acceptance.uncovered(catalog, import.meta.dirname), [])
  })
})
