/**
 * Every flow across domains declared in `@tessera/contracts/flows` has a test here naming it
 * (`flow <key>: …`), so a flow added without a test fails.
 */
import { assert, describe, it } from "@effect/vitest"
import { flows } from "@tessera/contracts/flows"
import * as FlowCoverage from "@tessera/test-kit/FlowCoverage"

describe("flows across domains", () => {
  it("each flow key is named by a test", () => {
    assert.deepStrictEqual(FlowCoverage.uncovered(flows, import.meta.dirname), [])
  })
})
