/**
 * Pipelines: each organization's sales processes, with ordered stages.
 */
import { command, query } from "@tessera/contract-kit/Contract"
import { ContractError } from "@tessera/contract-kit/ContractError"
import { Schema } from "effect"
import { PipelineCreated } from "./Events.ts"
import { Name, owners, PipelineId, StageId, Timestamp } from "./Shared.ts"

export const Stage = Schema.Struct({
  id: StageId,
  name: Name,
  /** 0-based order within the pipeline. */
  position: Schema.Int,
  /** Win probability in percent, 0 to 100. */
  probability: Schema.Int,
  /** Deals land here when won (at most one such stage per pipeline). */
  isWon: Schema.Boolean,
  /** Deals land here when lost (at most one such stage per pipeline). */
  isLost: Schema.Boolean
})
export type Stage = typeof Stage.Type

export const Pipeline = Schema.Struct({
  id: PipelineId,
  name: Name,
  stages: Schema.Array(Stage),
  createdAt: Timestamp
})
export type Pipeline = typeof Pipeline.Type

export class PipelineNotFound extends ContractError<PipelineNotFound>()(
  "PipelineNotFound",
  {
    code: "PIPELINE_NOT_FOUND",
    status: 404,
    title: "Pipeline not found",
    when: "No pipeline with this id in the caller's organization"
  },
  { pipelineId: Schema.String }
) {}

export class PipelineNameTaken extends ContractError<PipelineNameTaken>()(
  "PipelineNameTaken",
  {
    code: "PIPELINE_NAME_TAKEN",
    status: 409,
    title: "Pipeline name taken",
    when: "The organization already has a pipeline with this name"
  },
  { name: Schema.String }
) {}

const StageInput = Schema.Struct({
  name: Name,
  probability: Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 100 })),
  isWon: Schema.optionalKey(Schema.Boolean),
  isLost: Schema.optionalKey(Schema.Boolean)
})

const StagesInput = Schema.NonEmptyArray(StageInput).check(
  Schema.isMaxLength(20),
  Schema.makeFilter((stages) => {
    const names = new Set(stages.map((stage) => stage.name.toLowerCase()))
    if (names.size !== stages.length) return "stage names must be unique within a pipeline"
    if (stages.filter((stage) => stage.isWon).length > 1) return "at most one stage may be the won stage"
    if (stages.filter((stage) => stage.isLost).length > 1) return "at most one stage may be the lost stage"
    if (stages.some((stage) => stage.isWon && stage.isLost)) return "a stage cannot be both won and lost"
    if (!stages.some((stage) => !stage.isWon && !stage.isLost)) return "a pipeline needs at least one open stage"
    return undefined
  })
)

export const CreatePipeline = command({
  meta: {
    key: "crm.pipeline.create",
    version: "1.0.0",
    stability: "stable",
    owners,
    tags: ["crm", "pipeline", "create"],
    description: "Create a pipeline with its ordered stages.",
    goal: "Model how the organization's deals progress.",
    context: "Pipeline setup, done by an administrator."
  },
  input: Schema.Struct({ name: Name, stages: StagesInput }),
  output: Pipeline,
  errors: [PipelineNameTaken],
  policy: { auth: "admin" },
  emits: [{ event: PipelineCreated, when: "The pipeline is created" }],
  acceptance: {
    scenarios: [
      {
        key: "create-pipeline-happy-path",
        given: ["User is an administrator"],
        when: ["User creates a pipeline with five stages"],
        then: ["Pipeline is created with the stages in order", "PipelineCreated event is emitted"]
      },
      {
        key: "create-pipeline-requires-admin",
        given: ["User is not an administrator"],
        when: ["User creates a pipeline"],
        then: ["The call is refused with 403"]
      }
    ],
    examples: [
      {
        key: "create-sales-pipeline",
        input: {
          name: "Sales",
          stages: [
            { name: "Lead", probability: 10 },
            { name: "Proposal", probability: 50 },
            { name: "Won", probability: 100, isWon: true }
          ]
        },
        output: {
          id: "pipe_1",
          name: "Sales",
          stages: [
            { id: "stage_1", name: "Lead", position: 0, probability: 10, isWon: false, isLost: false },
            { id: "stage_2", name: "Proposal", position: 1, probability: 50, isWon: false, isLost: false },
            { id: "stage_3", name: "Won", position: 2, probability: 100, isWon: true, isLost: false }
          ],
          createdAt: "2025-01-20T09:00:00.000Z"
        }
      }
    ]
  }
})

export const ListPipelines = query({
  meta: {
    key: "crm.pipeline.list",
    version: "1.0.0",
    stability: "stable",
    owners,
    tags: ["crm", "pipeline", "list"],
    description: "List the organization's pipelines with their stages.",
    goal: "Show where deals can go.",
    context: "Pipeline board, deal forms."
  },
  input: Schema.Struct({}),
  output: Schema.Struct({ items: Schema.Array(Pipeline) }),
  policy: { auth: "user" },
  acceptance: {
    scenarios: [
      {
        key: "list-pipelines-own-organization",
        given: ["Two organizations each have a pipeline"],
        when: ["A user lists pipelines"],
        then: ["Only the user's organization's pipelines are returned, stages in order"]
      }
    ],
    examples: [
      {
        key: "list-one-pipeline",
        input: {},
        output: {
          items: [
            {
              id: "pipe_1",
              name: "Sales",
              stages: [{ id: "stage_1", name: "Lead", position: 0, probability: 10, isWon: false, isLost: false }],
              createdAt: "2025-01-20T09:00:00.000Z"
            }
          ]
        }
      }
    ]
  }
})
