/**
 * Every flow across domains declared in `@tessera/contracts/flows` has a test here naming it
 * (`flow <key>: …`), so a flow added without a test fails — and every flow a test names is
 * declared there, so a typo in a title does not leave a flow uncovered unnoticed.
 */
import { assert, describe, it } from "@effect/vitest"
import { flows } from "@tessera/contracts/flows"
import * as FlowCoverage from "@tessera/test-kit/FlowCoverage"

describe("flows across domains", () => {
  it("each flow key is named by a test", () => {
    assert.deepStrictEqual(FlowCoverage.uncovered(flows, import.meta.dirname), [])
  })

  it("each flow a test names is declared", () => {
    assert.deepStrictEqual(FlowCoverage.undeclared(flows, import.meta.dirname), [])
  })
})
