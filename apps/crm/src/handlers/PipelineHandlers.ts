/**
 * crm.pipeline.create, crm.pipeline.list
 */
import { implement } from "@tessera/contract-server/Implementation"
import { PipelineCreated } from "@tessera/contracts/crm/Events"
import { CreatePipeline, ListPipelines } from "@tessera/contracts/crm/Pipelines"
import { Array as Arr, Clock, Effect } from "effect"
import { CrmIds } from "../domain/CrmIds.ts"
import { PipelineRepository } from "../repositories/PipelineRepository.ts"

export const createPipeline = implement(CreatePipeline, (input, { actor, emit }) =>
  Effect.gen(function* () {
    const ids = yield* CrmIds
    const pipelines = yield* PipelineRepository
    const id = yield* ids.next("pipe")
    const stages = yield* Effect.forEach(input.stages, (stage) =>
      Effect.map(ids.next("stage"), (stageId) => ({
        id: stageId,
        name: stage.name,
        probability: stage.probability,
        isWon: stage.isWon ?? false,
        isLost: stage.isLost ?? false
      }))
    )
    const [first, ...rest] = stages
    if (first === undefined) return yield* Effect.die("a pipeline input always has a stage")
    const pipeline = yield* pipelines.insert({
      organizationId: actor.organizationId,
      id,
      name: input.name,
      createdBy: actor.userId,
      createdAt: new Date(yield* Clock.currentTimeMillis),
      stages: Arr.prepend(rest, first)
    })
    yield* emit(PipelineCreated, {
      pipelineId: pipeline.id,
      name: pipeline.name,
      stages: pipeline.stages.map((stage) => ({
        stageId: stage.id,
        name: stage.name,
        position: stage.position,
        probability: stage.probability,
        isWon: stage.isWon,
        isLost: stage.isLost
      }))
    })
    return pipeline
  })
)

export const listPipelines = implement(ListPipelines, (_, { actor }) =>
  Effect.map(
    Effect.flatMap(PipelineRepository, (pipelines) => pipelines.list(actor.organizationId)),
    (items) => ({ items })
  )
)
