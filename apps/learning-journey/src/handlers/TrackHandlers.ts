/**
 * learning.track.create, learning.track.list
 */
import { implement } from "@tessera/contract-server/Implementation"
import { TrackId } from "@tessera/contracts/learning-journey/Shared"
import { CreateTrack, ListTracks } from "@tessera/contracts/learning-journey/Tracks"
import { EventIds } from "@tessera/envelope/EventIds"
import { Clock, Effect } from "effect"
import { TrackRepository } from "../repositories/TrackRepository.ts"

export const createTrack = implement(CreateTrack, (input, { actor }) =>
  Effect.gen(function* () {
    const uuid = yield* Effect.flatMap(EventIds, (ids) => ids.next)
    const tracks = yield* TrackRepository
    return yield* tracks.insert({
      organizationId: actor.organizationId,
      id: TrackId.make(`track_${uuid}`),
      definition: input,
      createdBy: actor.userId,
      createdAt: new Date(yield* Clock.currentTimeMillis)
    })
  })
)

export const listTracks = implement(ListTracks, (input, { actor }) =>
  Effect.map(
    Effect.flatMap(TrackRepository, (tracks) => tracks.list(actor.organizationId, input.product)),
    (items) => ({ items })
  )
)
