/**
 * The deal lifecycle's rules, as pure functions over plain facts about stages and deals (the
 * repositories' rows fit them): which stage a deal may move to, and where it lands when it
 * closes. No I/O and no repository import, tested on their own.
 */
import type { DealStatus } from "@tessera/contracts/crm/Deals"

/** What the rules need to know of a stage. */
export interface StageFacts {
  readonly id: string
  readonly pipelineId: string
  readonly position: number
  readonly isWon: boolean
  readonly isLost: boolean
}

export type MoveCheck =
  | { readonly _tag: "Allowed" }
  | { readonly _tag: "Unchanged" }
  | { readonly _tag: "Closed"; readonly status: DealStatus }
  | { readonly _tag: "OtherPipeline" }
  | { readonly _tag: "Terminal" }

/** Whether an open deal of `pipelineId`, now in `currentStageId`, may move to `target`. */
export const checkMove = (
  deal: { readonly status: DealStatus; readonly pipelineId: string; readonly stageId: string },
  target: StageFacts | undefined
): MoveCheck => {
  if (deal.status !== "open") return { _tag: "Closed", status: deal.status }
  if (target === undefined || target.pipelineId !== deal.pipelineId) return { _tag: "OtherPipeline" }
  if (target.isWon || target.isLost) return { _tag: "Terminal" }
  if (target.id === deal.stageId) return { _tag: "Unchanged" }
  return { _tag: "Allowed" }
}

/** Where a closing deal lands: the pipeline's won (or lost) stage if it has one, else where it is. */
export const closingStage = (
  stages: ReadonlyArray<StageFacts>,
  currentStageId: string,
  outcome: "won" | "lost"
): string => stages.find((stage) => (outcome === "won" ? stage.isWon : stage.isLost))?.id ?? currentStageId

/** A new deal's stage: the requested one, else the pipeline's first open stage. */
export const initialStage = <S extends StageFacts>(stages: ReadonlyArray<S>): S | undefined =>
  stages.find((stage) => !stage.isWon && !stage.isLost)
