/**
 * The learning journey's demo data for `pnpm seed` (see `App.SeedContext`): the built-in tracks
 * installed into the demo organization. Running it again changes nothing.
 */
import type { SeedContext } from "@tessera/contract-server/App"
import { Effect } from "effect"
import * as BuiltInTracks from "./BuiltInTracks.ts"
import { TrackRepository } from "./repositories/TrackRepository.ts"

export const seed = (context: SeedContext) =>
  BuiltInTracks.install(context.organizationId).pipe(
    Effect.map((installed) =>
      installed.length === 0 ? [] : [`Learning journey: installed the built-in tracks ${installed.join(", ")}.`]
    ),
    Effect.provide(TrackRepository.layer)
  )
