/**
 * Pipelines and their stages. Every method takes the organization first: there is no way to
 * read or write across tenants.
 */
import { Pipeline, PipelineNameTaken, type Stage } from "@tessera/contracts/crm/Pipelines"
import * as Rows from "@tessera/database/Rows"
import { Array as Arr, Context, Effect, Layer, type Option, Schema } from "effect"
import { SqlClient } from "effect/sql"

export interface NewPipeline {
  readonly organizationId: string
  readonly id: string
  readonly name: string
  readonly createdBy: string
  readonly createdAt: Date
  readonly stages: Arr.NonEmptyReadonlyArray<{
    readonly id: string
    readonly name: string
    readonly probability: number
    readonly isWon: boolean
    readonly isLost: boolean
  }>
}

const StageRow = Schema.Struct({
  id: Schema.String,
  pipelineId: Schema.String,
  position: Schema.Int,
  isWon: Schema.Boolean,
  isLost: Schema.Boolean
})
export type StageRow = typeof StageRow.Type

export class PipelineRepository extends Context.Service<
  PipelineRepository,
  {
    readonly insert: (pipeline: NewPipeline) => Effect.Effect<Pipeline, PipelineNameTaken>
    readonly list: (organizationId: string) => Effect.Effect<ReadonlyArray<Pipeline>>
    readonly exists: (organizationId: string, pipelineId: string) => Effect.Effect<boolean>
    /** The stage with this id, whatever its pipeline. */
    readonly findStage: (organizationId: string, stageId: string) => Effect.Effect<Option.Option<StageRow>>
    readonly stagesOf: (organizationId: string, pipelineId: string) => Effect.Effect<ReadonlyArray<StageRow>>
  }
>()("@tessera/crm/PipelineRepository") {
  static readonly layer = Layer.effect(
    PipelineRepository,
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient

      /** A pipeline in its API shape, stages in order. */
      const pipelineJson = sql`
        SELECT p.id, p.name, crm.iso(p.created_at) AS "createdAt",
          coalesce(
            (SELECT json_agg(json_build_object(
                'id', s.id, 'name', s.name, 'position', s.position, 'probability', s.probability,
                'isWon', s.is_won, 'isLost', s.is_lost) ORDER BY s.position)
             FROM crm.stages s WHERE s.organization_id = p.organization_id AND s.pipeline_id = p.id),
            '[]'::json) AS stages
        FROM crm.pipelines p`

      const byId = (organizationId: string, id: string) =>
        Rows.one(Pipeline, sql`${pipelineJson} WHERE p.organization_id = ${organizationId} AND p.id = ${id}`)

      const stageQuery = (where: ReturnType<typeof sql.and>) => sql`
        SELECT id, pipeline_id AS "pipelineId", position, is_won AS "isWon", is_lost AS "isLost"
        FROM crm.stages WHERE ${where} ORDER BY position`

      const insert = Effect.fn("PipelineRepository.insert")(function* (pipeline: NewPipeline) {
        yield* Rows.run(
          Rows.unique(
            sql`
              INSERT INTO crm.pipelines (organization_id, id, name, created_by, created_at)
              VALUES (${pipeline.organizationId}, ${pipeline.id}, ${pipeline.name}, ${pipeline.createdBy}, ${pipeline.createdAt})`,
            () =>
              new PipelineNameTaken({
                name: pipeline.name,
                detail: `A pipeline named "${pipeline.name}" already exists.`
              }),
            { constraint: "pipelines_name" }
          )
        )
        yield* Rows.run(
          sql`INSERT INTO crm.stages ${sql.insert(
            Arr.map(pipeline.stages, (stage, position) => ({
              organization_id: pipeline.organizationId,
              id: stage.id,
              pipeline_id: pipeline.id,
              name: stage.name,
              position,
              probability: stage.probability,
              is_won: stage.isWon,
              is_lost: stage.isLost
            }))
          )}`
        )
        return yield* byId(pipeline.organizationId, pipeline.id)
      })

      return PipelineRepository.of({
        insert,
        list: Effect.fn("PipelineRepository.list")(function* (organizationId) {
          return yield* Rows.all(
            Pipeline,
            sql`${pipelineJson} WHERE p.organization_id = ${organizationId} ORDER BY p.created_at, p.id`
          )
        }),
        exists: Effect.fn("PipelineRepository.exists")(function* (organizationId, pipelineId) {
          return yield* Rows.some(
            sql`SELECT 1 FROM crm.pipelines WHERE organization_id = ${organizationId} AND id = ${pipelineId}`
          )
        }),
        findStage: Effect.fn("PipelineRepository.findStage")(function* (organizationId, stageId) {
          return yield* Rows.maybeOne(
            StageRow,
            stageQuery(sql.and([sql`organization_id = ${organizationId}`, sql`id = ${stageId}`]))
          )
        }),
        stagesOf: Effect.fn("PipelineRepository.stagesOf")(function* (organizationId, pipelineId) {
          return yield* Rows.all(
            StageRow,
            stageQuery(sql.and([sql`organization_id = ${organizationId}`, sql`pipeline_id = ${pipelineId}`]))
          )
        })
      })
    })
  )
}

export type { Stage }
