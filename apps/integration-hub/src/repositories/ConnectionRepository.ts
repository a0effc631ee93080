/**
 * Connections, scoped by organization. Rows leave the database in the API's shape; the sealed
 * credentials are read only by `findSealed` (for the engine and health checks), never with the
 * API's columns.
 */
import { Connection, type ConnectionConfig, type ConnectorKind } from "@tessera/contracts/integration-hub/Connections"
import { all, maybeOne, one } from "@tessera/database/Rows"
import { Context, Effect, Layer, type Option, Schema } from "effect"
import { SqlClient } from "effect/sql"

export interface NewConnection {
  readonly organizationId: string
  readonly id: string
  readonly name: string
  readonly config: ConnectionConfig
  readonly sealed: string | null
  readonly createdBy: string
  readonly at: Date
}

const WithSealed = Schema.Struct({ connection: Connection, sealed: Schema.NullOr(Schema.String) })

export class ConnectionRepository extends Context.Service<
  ConnectionRepository,
  {
    readonly insert: (connection: NewConnection) => Effect.Effect<Connection>
    readonly find: (organizationId: string, id: string) => Effect.Effect<Option.Option<Connection>>
    /** The connection and its sealed credentials, for the engine. */
    readonly findSealed: (
      organizationId: string,
      id: string
    ) => Effect.Effect<Option.Option<{ readonly connection: Connection; readonly sealed: string | null }>>
    /** Newest first; `limit + 1` rows. */
    readonly list: (
      organizationId: string,
      kind: ConnectorKind | undefined,
      limit: number,
      after: readonly [createdAt: string, id: string] | undefined
    ) => Effect.Effect<ReadonlyArray<Connection>>
    readonly setCredentials: (
      organizationId: string,
      id: string,
      sealed: string,
      at: Date
    ) => Effect.Effect<Option.Option<Connection>>
    readonly disable: (organizationId: string, id: string, at: Date) => Effect.Effect<Option.Option<Connection>>
  }
>()("@tessera/integration-hub/ConnectionRepository") {
  static readonly layer = Layer.effect(
    ConnectionRepository,
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const columns = sql.literal(`
        c.id, c.name, c.kind, c.config, c.status, (c.credentials IS NOT NULL) AS "hasCredentials",
        integration.iso(c.credentials_updated_at) AS "credentialsUpdatedAt",
        integration.iso(c.created_at) AS "createdAt", integration.iso(c.updated_at) AS "updatedAt"`)

      return ConnectionRepository.of({
        insert: (c) =>
          one(
            Connection,
            sql`
              WITH c AS (
                INSERT INTO integration.connections (organization_id, id, name, kind, config, status, credentials,
                  credentials_updated_at, created_by, created_at, updated_at)
                VALUES (${c.organizationId}, ${c.id}, ${c.name}, ${c.config.kind}, ${JSON.stringify(c.config)}::jsonb,
                  'active', ${c.sealed}, ${c.sealed === null ? null : c.at}, ${c.createdBy}, ${c.at}, ${c.at})
                RETURNING *)
              SELECT ${columns} FROM c`
          ),

        find: (organizationId, id) =>
          maybeOne(
            Connection,
            sql`SELECT ${columns} FROM integration.connections c WHERE c.organization_id = ${organizationId} AND c.id = ${id}`
          ),

        findSealed: (organizationId, id) =>
          maybeOne(
            WithSealed,
            sql`
              SELECT json_build_object('id', c.id, 'name', c.name, 'kind', c.kind, 'config', c.config, 'status', c.status,
                'hasCredentials', c.credentials IS NOT NULL, 'credentialsUpdatedAt', integration.iso(c.credentials_updated_at),
                'createdAt', integration.iso(c.created_at), 'updatedAt', integration.iso(c.updated_at)) AS connection,
                c.credentials AS sealed
              FROM integration.connections c WHERE c.organization_id = ${organizationId} AND c.id = ${id}`
          ),

        list: (organizationId, kind, limit, after) =>
          all(
            Connection,
            sql`
              SELECT ${columns} FROM integration.connections c
              WHERE ${sql.and([
                sql`c.organization_id = ${organizationId}`,
                ...(kind === undefined ? [] : [sql`c.kind = ${kind}`]),
                ...(after === undefined ? [] : [sql`(c.created_at, c.id) < (${after[0]}::timestamptz, ${after[1]})`])
              ])}
              ORDER BY c.created_at DESC, c.id DESC
              LIMIT ${limit + 1}`
          ),

        setCredentials: (organizationId, id, sealed, at) =>
          maybeOne(
            Connection,
            sql`
              WITH c AS (
                UPDATE integration.connections SET credentials = ${sealed}, credentials_updated_at = ${at}, updated_at = ${at}
                WHERE organization_id = ${organizationId} AND id = ${id}
                RETURNING *)
              SELECT ${columns} FROM c`
          ),

        disable: (organizationId, id, at) =>
          maybeOne(
            Connection,
            sql`
              WITH c AS (
                UPDATE integration.connections SET status = 'disabled',
                  updated_at = CASE WHEN status = 'disabled' THEN updated_at ELSE ${at} END
                WHERE organization_id = ${organizationId} AND id = ${id}
                RETURNING *)
              SELECT ${columns} FROM c`
          )
      })
    })
  )
}
