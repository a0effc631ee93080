import { assert, describe, it } from "@effect/vitest"
import { checkMove, closingStage, initialStage } from "../src/domain/DealRules.ts"

const stage = (
  id: string,
  pipelineId: string,
  position: number,
  flags: { isWon?: boolean; isLost?: boolean } = {}
) => ({
  id,
  pipelineId,
  position,
  isWon: flags.isWon ?? false,
  isLost: flags.isLost ?? false
})

const stages = [
  stage("lead", "p1", 0),
  stage("proposal", "p1", 1),
  stage("won", "p1", 2, { isWon: true }),
  stage("lost", "p1", 3, { isLost: true })
]
const openDeal = { status: "open" as const, pipelineId: "p1", stageId: "lead" }

describe("DealRules", () => {
  it("allows an open deal to move to another open stage of its pipeline", () => {
    assert.deepStrictEqual(checkMove(openDeal, stages[1]), { _tag: "Allowed" })
  })

  it("treats a move to the current stage as no change", () => {
    assert.deepStrictEqual(checkMove(openDeal, stages[0]), { _tag: "Unchanged" })
  })

  it("refuses stages of another pipeline and unknown stages alike", () => {
    assert.deepStrictEqual(checkMove(openDeal, stage("x", "p2", 0)), { _tag: "OtherPipeline" })
    assert.deepStrictEqual(checkMove(openDeal, undefined), { _tag: "OtherPipeline" })
  })

  it("keeps won and lost stages for crm.deal.win and crm.deal.lose", () => {
    assert.deepStrictEqual(checkMove(openDeal, stages[2]), { _tag: "Terminal" })
    assert.deepStrictEqual(checkMove(openDeal, stages[3]), { _tag: "Terminal" })
  })

  it("refuses to move a closed deal, whatever the target", () => {
    assert.deepStrictEqual(checkMove({ ...openDeal, status: "won" }, stages[1]), { _tag: "Closed", status: "won" })
    assert.deepStrictEqual(checkMove({ ...openDeal, status: "lost" }, undefined), { _tag: "Closed", status: "lost" })
  })

  it("closes into the won or lost stage when the pipeline has one, else stays put", () => {
    assert.strictEqual(closingStage(stages, "proposal", "won"), "won")
    assert.strictEqual(closingStage(stages, "proposal", "lost"), "lost")
    const plain = [stage("a", "p", 0), stage("b", "p", 1)]
    assert.strictEqual(closingStage(plain, "b", "won"), "b")
  })

  it("starts new deals in the first open stage", () => {
    assert.strictEqual(initialStage([stage("w", "p", 0, { isWon: true }), stage("a", "p", 1)])?.id, "a")
    assert.isUndefined(initialStage([stage("w", "p", 0, { isWon: true })]))
  })
})
