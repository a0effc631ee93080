/**
 * Pipelines and their stages. Every method takes the organization first: there is no way to
 * read or write across tenants.
 */
import { Pipeline, PipelineNameTaken, type Stage } from "@tessera/contracts/crm/Pipelines"
import { Array as Arr, Context, Effect, Layer, type Option, Schema } from "effect"
import { SqlClient, SqlSchema } from "effect/sql"

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

      const byId = SqlSchema.findOne({
        Request: Schema.Struct({ organizationId: Schema.String, id: Schema.String }),
        Result: Pipeline,
        execute: ({ organizationId, id }) =>
          sql`${pipelineJson} WHERE p.organization_id = ${organizationId} AND p.id = ${id}`
      })

      const listAll = SqlSchema.findAll({
        Request: Schema.String,
        Result: Pipeline,
        execute: (organizationId) =>
          sql`${pipelineJson} WHERE p.organization_id = ${organizationId} ORDER BY p.created_at, p.id`
      })

      const stageQuery = (where: ReturnType<typeof sql.and>) => sql`
        SELECT id, pipeline_id AS "pipelineId", position, is_won AS "isWon", is_lost AS "isLost"
        FROM crm.stages WHERE ${where} ORDER BY position`

      const findStage = SqlSchema.findOneOption({
        Request: Schema.Struct({ organizationId: Schema.String, stageId: Schema.String }),
        Result: StageRow,
        execute: ({ organizationId, stageId }) =>
          stageQuery(sql.and([sql`organization_id = ${organizationId}`, sql`id = ${stageId}`]))
      })

      const stagesOf = SqlSchema.findAll({
        Request: Schema.Struct({ organizationId: Schema.String, pipelineId: Schema.String }),
        Result: StageRow,
        execute: ({ organizationId, pipelineId }) =>
          stageQuery(sql.and([sql`organization_id = ${organizationId}`, sql`pipeline_id = ${pipelineId}`]))
      })

      const insert = Effect.fn("PipelineRepository.insert")(
        function* (pipeline: NewPipeline) {
          yield* sql`
          INSERT INTO crm.pipelines (organization_id, id, name, created_by, created_at)
          VALUES (${pipeline.organizationId}, ${pipeline.id}, ${pipeline.name}, ${pipeline.createdBy}, ${pipeline.createdAt})`.pipe(
            Effect.catchIf(
              (error) => error.reason._tag === "UniqueViolation",
              () =>
                Effect.fail(
                  new PipelineNameTaken({
                    name: pipeline.name,
                    detail: `A pipeline named "${pipeline.name}" already exists.`
                  })
                )
            )
          )
          yield* sql`INSERT INTO crm.stages ${sql.insert(
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
          return yield* byId({ organizationId: pipeline.organizationId, id: pipeline.id })
        },
        Effect.catchTags({ SqlError: Effect.die, SchemaError: Effect.die, NoSuchElementError: Effect.die })
      )

      return PipelineRepository.of({
        insert,
        list: (organizationId) => listAll(organizationId).pipe(Effect.orDie),
        exists: (organizationId, pipelineId) =>
          sql`SELECT 1 FROM crm.pipelines WHERE organization_id = ${organizationId} AND id = ${pipelineId}`.pipe(
            Effect.map((rows) => rows.length > 0),
            Effect.orDie
          ),
        findStage: (organizationId, stageId) => findStage({ organizationId, stageId }).pipe(Effect.orDie),
        stagesOf: (organizationId, pipelineId) => stagesOf({ organizationId, pipelineId }).pipe(Effect.orDie)
      })
    })
  )
}

export type { Stage }
