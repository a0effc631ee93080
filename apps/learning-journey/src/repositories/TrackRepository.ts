/**
 * Tracks. Every method takes the organization first: there is no way to read or write across
 * tenants. Rows leave the database in the API shape and are decoded by the contract's schema.
 */
import type { TrackId } from "@tessera/contracts/learning-journey/Shared"
import { Track, type TrackDefinition, TrackNameTaken } from "@tessera/contracts/learning-journey/Tracks"
import * as Rows from "@tessera/database/Rows"
import { Context, Effect, Layer, type Option } from "effect"
import { SqlClient } from "effect/sql"

export interface NewTrack {
  readonly organizationId: string
  readonly id: TrackId
  readonly definition: TrackDefinition
  readonly createdBy: string
  readonly createdAt: Date
}

export class TrackRepository extends Context.Service<
  TrackRepository,
  {
    readonly insert: (track: NewTrack) => Effect.Effect<Track, TrackNameTaken>
    /** Inserts the track unless the organization already has one with its id or name. True when inserted. */
    readonly install: (track: NewTrack) => Effect.Effect<boolean>
    /** Oldest first; only one product's when given. */
    readonly list: (organizationId: string, product?: string) => Effect.Effect<ReadonlyArray<Track>>
    readonly findById: (organizationId: string, trackId: string) => Effect.Effect<Option.Option<Track>>
  }
>()("@tessera/learning-journey/TrackRepository") {
  static readonly layer = Layer.effect(
    TrackRepository,
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient

      const trackJson = sql`
        SELECT id, product, name, description, steps, completion, streak, learning.iso(created_at) AS "createdAt"
        FROM learning.tracks`

      const insertRow = (track: NewTrack) => sql`
        INSERT INTO learning.tracks
          (organization_id, id, product, name, description, steps, completion, streak, created_by, created_at)
        VALUES (
          ${track.organizationId}, ${track.id}, ${track.definition.product}, ${track.definition.name},
          ${track.definition.description}, ${JSON.stringify(track.definition.steps)}::jsonb,
          ${JSON.stringify(track.definition.completion)}::jsonb,
          ${track.definition.streak === null ? null : JSON.stringify(track.definition.streak)}::jsonb,
          ${track.createdBy}, ${track.createdAt})`

      const findById = Effect.fn("TrackRepository.findById")(function* (organizationId: string, trackId: string) {
        return yield* Rows.maybeOne(
          Track,
          sql`${trackJson} WHERE organization_id = ${organizationId} AND id = ${trackId}`
        )
      })

      return TrackRepository.of({
        insert: Effect.fn("TrackRepository.insert")(function* (track) {
          yield* Rows.run(
            Rows.unique(
              insertRow(track),
              () =>
                new TrackNameTaken({
                  name: track.definition.name,
                  detail: `A track named "${track.definition.name}" already exists.`
                })
            )
          )
          return yield* Rows.one(
            Track,
            sql`${trackJson} WHERE organization_id = ${track.organizationId} AND id = ${track.id}`
          )
        }),
        install: Effect.fn("TrackRepository.install")(function* (track) {
          return yield* Rows.some(sql`${insertRow(track)} ON CONFLICT DO NOTHING RETURNING id`)
        }),
        list: Effect.fn("TrackRepository.list")(function* (organizationId, product) {
          return yield* Rows.all(
            Track,
            sql`${trackJson} WHERE ${sql.and([
              sql`organization_id = ${organizationId}`,
              ...(product === undefined ? [] : [sql`product = ${product}`])
            ])} ORDER BY created_at, id`
          )
        }),
        findById
      })
    })
  )
}
