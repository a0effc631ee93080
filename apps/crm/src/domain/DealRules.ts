/**
 * The deal lifecycle's rules, as pure functions over what the repositories return: which stage
 * a deal may move to, and where it lands when it closes. No I/O, tested on their own.
 */
import type { DealStatus } from "@tessera/contracts/crm/Deals"
import type { StageRow } from "../repositories/PipelineRepository.ts"

export type MoveCheck =
  | { readonly _tag: "Allowed" }
  | { readonly _tag: "Unchanged" }
  | { readonly _tag: "Closed"; readonly status: DealStatus }
  | { readonly _tag: "OtherPipeline" }
  | { readonly _tag: "Terminal" }

/** Whether an open deal of `pipelineId`, now in `currentStageId`, may move to `target`. */
export const checkMove = (
  deal: { readonly status: DealStatus; readonly pipelineId: string; readonly stageId: string },
  target: StageRow | undefined
): MoveCheck => {
  if (deal.status !== "open") return { _tag: "Closed", status: deal.status }
  if (target === undefined || target.pipelineId !== deal.pipelineId) return { _tag: "OtherPipeline" }
  if (target.isWon || target.isLost) return { _tag: "Terminal" }
  if (target.id === deal.stageId) return { _tag: "Unchanged" }
  return { _tag: "Allowed" }
}

/** Where a closing deal lands: the pipeline's won (or lost) stage if it has one, else where it is. */
export const closingStage = (
  stages: ReadonlyArray<StageRow>,
  currentStageId: string,
  outcome: "won" | "lost"
): string => stages.find((stage) => (outcome === "won" ? stage.isWon : stage.isLost))?.id ?? currentStageId

/** A new deal's stage: the requested one, else the pipeline's first open stage. */
export const initialStage = (stages: ReadonlyArray<StageRow>): StageRow | undefined =>
  stages.find((stage) => !stage.isWon && !stage.isLost)
