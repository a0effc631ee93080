/**
 * Sync configs and their field mappings, scoped by organization. Rows leave the database in the
 * API's shape.
 */
import { FieldMapping, type MappingRule } from "@tessera/contracts/integration-hub/FieldMappings"
import { SyncConfig } from "@tessera/contracts/integration-hub/SyncConfigs"
import { all, maybeOne, one } from "@tessera/database/Rows"
import { Context, Effect, Layer, type Option, Schema } from "effect"
import { SqlClient } from "effect/sql"

export interface NewSyncConfig {
  readonly organizationId: string
  readonly id: string
  readonly name: string
  readonly sourceConnectionId: string
  readonly targetConnectionId: string
  readonly sourceObject: string | null
  readonly targetObject: string | null
  readonly direction: SyncConfig["direction"]
  readonly schedule: string | null
  readonly conflictPolicy: SyncConfig["conflictPolicy"]
  readonly pageSize: number
  readonly createdBy: string
  readonly at: Date
}

export interface NewMapping {
  readonly organizationId: string
  readonly id: string
  readonly syncConfigId: string
  readonly targetField: string
  readonly rule: MappingRule
  readonly at: Date
}

export const ScheduledConfig = Schema.Struct({
  organizationId: Schema.String,
  id: Schema.String,
  schedule: Schema.String,
  createdAt: Schema.Date,
  createdBy: Schema.String
})
export type ScheduledConfig = typeof ScheduledConfig.Type

export class SyncConfigRepository extends Context.Service<
  SyncConfigRepository,
  {
    readonly insert: (config: NewSyncConfig) => Effect.Effect<SyncConfig>
    readonly find: (organizationId: string, id: string) => Effect.Effect<Option.Option<SyncConfig>>
    /** Newest first; `limit + 1` rows. */
    readonly list: (
      organizationId: string,
      status: SyncConfig["status"] | undefined,
      limit: number,
      after: readonly [createdAt: string, id: string] | undefined
    ) => Effect.Effect<ReadonlyArray<SyncConfig>>
    readonly setStatus: (
      organizationId: string,
      id: string,
      status: SyncConfig["status"],
      at: Date
    ) => Effect.Effect<Option.Option<SyncConfig>>
    /** Every active sync config with a schedule, of every organization (for the scheduler). */
    readonly scheduled: Effect.Effect<ReadonlyArray<ScheduledConfig>>
    /** The new mapping, or none when the target field is already mapped. */
    readonly addMapping: (mapping: NewMapping) => Effect.Effect<Option.Option<FieldMapping>>
    readonly removeMapping: (organizationId: string, mappingId: string) => Effect.Effect<boolean>
    readonly mappings: (organizationId: string, syncConfigId: string) => Effect.Effect<ReadonlyArray<FieldMapping>>
  }
>()("@tessera/integration-hub/SyncConfigRepository") {
  static readonly layer = Layer.effect(
    SyncConfigRepository,
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const columns = sql.literal(`
        s.id, s.name, s.source_connection_id AS "sourceConnectionId", s.target_connection_id AS "targetConnectionId",
        s.source_object AS "sourceObject", s.target_object AS "targetObject", s.direction, s.schedule,
        s.conflict_policy AS "conflictPolicy", s.page_size AS "pageSize", s.status,
        integration.iso(s.created_at) AS "createdAt", integration.iso(s.updated_at) AS "updatedAt"`)
      const mappingColumns = sql.literal(`
        m.id, m.sync_config_id AS "syncConfigId", m.target_field AS "targetField", m.rule,
        integration.iso(m.created_at) AS "createdAt"`)

      return SyncConfigRepository.of({
        insert: (s) =>
          one(
            SyncConfig,
            sql`
              WITH s AS (
                INSERT INTO integration.sync_configs (organization_id, id, name, source_connection_id, target_connection_id,
                  source_object, target_object, direction, schedule, conflict_policy, page_size, status, created_by,
                  created_at, updated_at)
                VALUES (${s.organizationId}, ${s.id}, ${s.name}, ${s.sourceConnectionId}, ${s.targetConnectionId},
                  ${s.sourceObject}, ${s.targetObject}, ${s.direction}, ${s.schedule}, ${s.conflictPolicy}, ${s.pageSize},
                  'active', ${s.createdBy}, ${s.at}, ${s.at})
                RETURNING *)
              SELECT ${columns} FROM s`
          ),

        find: (organizationId, id) =>
          maybeOne(
            SyncConfig,
            sql`SELECT ${columns} FROM integration.sync_configs s WHERE s.organization_id = ${organizationId} AND s.id = ${id}`
          ),

        list: (organizationId, status, limit, after) =>
          all(
            SyncConfig,
            sql`
              SELECT ${columns} FROM integration.sync_configs s
              WHERE ${sql.and([
                sql`s.organization_id = ${organizationId}`,
                ...(status === undefined ? [] : [sql`s.status = ${status}`]),
                ...(after === undefined ? [] : [sql`(s.created_at, s.id) < (${after[0]}::timestamptz, ${after[1]})`])
              ])}
              ORDER BY s.created_at DESC, s.id DESC
              LIMIT ${limit + 1}`
          ),

        setStatus: (organizationId, id, status, at) =>
          maybeOne(
            SyncConfig,
            sql`
              WITH s AS (
                UPDATE integration.sync_configs SET status = ${status},
                  updated_at = CASE WHEN status = ${status} THEN updated_at ELSE ${at} END
                WHERE organization_id = ${organizationId} AND id = ${id}
                RETURNING *)
              SELECT ${columns} FROM s`
          ),

        scheduled: all(
          ScheduledConfig,
          sql`
            SELECT organization_id AS "organizationId", id, schedule, created_at AS "createdAt", created_by AS "createdBy"
            FROM integration.sync_configs WHERE schedule IS NOT NULL AND status = 'active'`
        ),

        addMapping: (m) =>
          maybeOne(
            FieldMapping,
            sql`
              WITH m AS (
                INSERT INTO integration.field_mappings (organization_id, id, sync_config_id, target_field, rule, created_at)
                VALUES (${m.organizationId}, ${m.id}, ${m.syncConfigId}, ${m.targetField}, ${JSON.stringify(m.rule)}::jsonb, ${m.at})
                ON CONFLICT (organization_id, sync_config_id, target_field) DO NOTHING
                RETURNING *)
              SELECT ${mappingColumns} FROM m`
          ),

        removeMapping: (organizationId, mappingId) =>
          sql`DELETE FROM integration.field_mappings WHERE organization_id = ${organizationId} AND id = ${mappingId} RETURNING id`.pipe(
            Effect.map((rows) => rows.length > 0),
            Effect.orDie
          ),

        mappings: (organizationId, syncConfigId) =>
          all(
            FieldMapping,
            sql`
              SELECT ${mappingColumns} FROM integration.field_mappings m
              WHERE m.organization_id = ${organizationId} AND m.sync_config_id = ${syncConfigId}
              ORDER BY m.position`
          )
      })
    })
  )
}
