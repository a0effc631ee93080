/**
 * The learning journey's demo data for `pnpm seed` (see `App.SeedContext`): the built-in tracks
 * installed into the demo organization. Running it again changes nothing.
 */
import type { SeedContext } from "@tessera/contract-server/App"
import { Clock, Effect } from "effect"
import { builtInTracks } from "./domain/BuiltInTracks.ts"
import { TrackRepository } from "./repositories/TrackRepository.ts"

/** Installs the built-in tracks into the organization; returns the ids installed now. */
export const installBuiltInTracks = (organizationId: string) =>
  Effect.gen(function* () {
    const tracks = yield* TrackRepository
    const createdAt = new Date(yield* Clock.currentTimeMillis)
    const installed = yield* Effect.forEach(builtInTracks, (track) =>
      Effect.map(
        tracks.install({ organizationId, id: track.id, definition: track.definition, createdBy: "system", createdAt }),
        (inserted) => (inserted ? [track.id] : [])
      )
    )
    return installed.flat()
  })

export const seed = (context: SeedContext) =>
  installBuiltInTracks(context.organizationId).pipe(
    Effect.map((installed) =>
      installed.length === 0 ? [] : [`Learning journey: installed the built-in tracks ${installed.join(", ")}.`]
    ),
    Effect.provide(TrackRepository.layer)
  )
