/**
 * The tracks every organization can have without writing one: installed by `pnpm seed` (and by
 * tests) into an organization, once — installing again changes nothing.
 */
import type { TrackId } from "@tessera/contracts/learning-journey/Shared"
import type { TrackDefinition } from "@tessera/contracts/learning-journey/Tracks"
import { Clock, Effect } from "effect"
import { CRM_FIRST_WIN_ID, CrmFirstWin } from "./domain/CrmFirstWin.ts"
import { TrackRepository } from "./repositories/TrackRepository.ts"

export const builtInTracks: ReadonlyArray<{ readonly id: TrackId; readonly definition: TrackDefinition }> = [
  { id: CRM_FIRST_WIN_ID, definition: CrmFirstWin }
]

/** Installs the built-in tracks into the organization; returns the ids installed now. */
export const install = (organizationId: string) =>
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
