/**
 * The learning journey's one way of moving progress: `record` an event of a learner, `skip` a
 * step. Each runs in one transaction (joining the caller's, if any: the dispatcher consumer's
 * delivery transaction, or a contract call's), so the dedupe row, the event history and the
 * progress change commit together or not at all — an event advances progress exactly once.
 *
 * It emits nothing itself: it returns the onboarding events to publish, and the caller emits them
 * (a contract handler through its `emit`, the consumer through `EventSink`), so they are written
 * in the same transaction too. `toOutgoing` turns them into `EventSink` events.
 */
import {
  OnboardingCompleted,
  OnboardingStarted,
  OnboardingStepCompleted
} from "@tessera/contracts/learning-journey/Events"
import {
  type Progress,
  StepNotFound,
  StepNotSkippable,
  TrackNotFound
} from "@tessera/contracts/learning-journey/Onboarding"
import type { TrackId } from "@tessera/contracts/learning-journey/Shared"
import type { Track } from "@tessera/contracts/learning-journey/Tracks"
import type { OutgoingEvent } from "@tessera/envelope/EventSink"
import { Clock, Context, Effect, Layer, Option } from "effect"
import { SqlClient } from "effect/sql"
import { evidenceFor, type HistoryQuery, keyOf, wasSettled } from "../domain/Evidence.ts"
import {
  applyEvent,
  initial,
  isRelevant,
  type ProgressState,
  skip,
  statusOfProgress,
  type Transition,
  toProgress
} from "../domain/LearnerProgress.ts"
import { badgesOf, xpOf } from "../domain/Rewards.ts"
import { LearnerEventRepository, type RecordedEvent } from "../repositories/LearnerEventRepository.ts"
import { ProgressRepository } from "../repositories/ProgressRepository.ts"
import { TrackRepository } from "../repositories/TrackRepository.ts"

/** An event to record for a learner. `payload` is its JSON form. */
export interface IncomingEvent {
  /** The dedupe key: the envelope's `event_id`. Recording an id a second time changes nothing. */
  readonly eventId: string
  readonly eventType: string
  /** Omitted: the event matches steps written against any version of its type. */
  readonly eventVersion?: number | undefined
  readonly payload: { readonly [field: string]: unknown }
  readonly occurredAt: Date
}

/** An onboarding event to publish, typed by its definition. */
export type Emission =
  | { readonly _tag: "Started"; readonly payload: typeof OnboardingStarted.payload.Type }
  | { readonly _tag: "StepCompleted"; readonly payload: typeof OnboardingStepCompleted.payload.Type }
  | { readonly _tag: "Completed"; readonly payload: typeof OnboardingCompleted.payload.Type }

export interface RecordResult {
  /** The event id was recorded before: nothing changed. */
  readonly duplicate: boolean
  /** The tracks with a step counting events like this one (whether or not progress moved). */
  readonly matchedTracks: ReadonlyArray<TrackId>
  readonly emissions: ReadonlyArray<Emission>
}

export interface SkipResult {
  readonly progress: Progress
  readonly emissions: ReadonlyArray<Emission>
}

/** An emission as an `EventSink` event (for publishing outside a contract call). */
export const toOutgoing = (emission: Emission): OutgoingEvent => {
  switch (emission._tag) {
    case "Started":
      return { definition: OnboardingStarted, payload: emission.payload }
    case "StepCompleted":
      return { definition: OnboardingStepCompleted, payload: emission.payload }
    case "Completed":
      return { definition: OnboardingCompleted, payload: emission.payload }
  }
}

const emissionOf = (state: ProgressState, transition: Transition): Emission => {
  const ids = { trackId: state.trackId, learnerId: state.learnerId }
  switch (transition._tag) {
    case "Started":
      return { _tag: "Started", payload: { ...ids, startedAt: transition.at.toISOString() } }
    case "StepCompleted":
      return {
        _tag: "StepCompleted",
        payload: {
          ...ids,
          stepId: transition.stepId,
          xpAwarded: transition.xpAwarded,
          xp: transition.xp,
          completedAt: transition.at.toISOString()
        }
      }
    case "Completed":
      return {
        _tag: "Completed",
        payload: { ...ids, xp: transition.xp, badges: transition.badges, completedAt: transition.at.toISOString() }
      }
  }
}

const derivedOf = (track: Track, state: ProgressState) => ({
  xp: xpOf(track, state.marks, state.streak.longest),
  badges: badgesOf(track, state.marks, state.streak.longest),
  status: statusOfProgress(track, state)
})

const byId = (a: { readonly id: string }, b: { readonly id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)

/** Organizations whose tracks a `Progression` keeps in memory (the least recently loaded are dropped). */
const TRACK_CACHE_SIZE = 1_000

/**
 * How long after a track is created an event may still be in flight that read the organization's
 * tracks before it existed (longer than any transaction: the dispatcher's handler timeout and
 * lease are seconds). Such an event, committed after the track's first progress was settled, never
 * advanced it: progress is proved from scratch until it is saved once past this.
 */
const NEW_TRACK_MS = 10 * 60_000

export class Progression extends Context.Service<
  Progression,
  {
    /**
     * Records an event of `learnerId` and advances their progress on every track of the
     * organization with a step counting it (only `trackId`'s, when given).
     */
    readonly record: (
      organizationId: string,
      learnerId: string,
      event: IncomingEvent,
      options?: { readonly trackId?: string | undefined }
    ) => Effect.Effect<RecordResult, TrackNotFound>
    readonly skip: (
      organizationId: string,
      learnerId: string,
      trackId: string,
      stepId: string
    ) => Effect.Effect<SkipResult, TrackNotFound | StepNotFound | StepNotSkippable>
    /** The learner's progress on the organization's tracks (only `trackId`, when given), tracks oldest first. */
    readonly progress: (
      organizationId: string,
      learnerId: string,
      trackId?: string
    ) => Effect.Effect<ReadonlyArray<Progress>, TrackNotFound>
  }
>()("@tessera/learning-journey/Progression") {
  static readonly layer = Layer.effect(
    Progression,
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const tracks = yield* TrackRepository
      const progressRows = yield* ProgressRepository
      const events = yield* LearnerEventRepository

      const findTrack = (organizationId: string, trackId: string) =>
        Effect.flatMap(
          tracks.findById(organizationId, trackId),
          Option.match({
            onNone: () =>
              Effect.fail(new TrackNotFound({ trackId, detail: `No track ${trackId} in your organization.` })),
            onSome: Effect.succeed
          })
        )

      const tracksFor = (organizationId: string, trackId: string | undefined) =>
        trackId === undefined
          ? tracks.list(organizationId)
          : Effect.map(findTrack(organizationId, trackId), (track) => [track])

      // Tracks are only ever added, never changed or removed: an organization's tracks read once
      // are current as long as the organization has as many as were read (`claim` counts them in
      // its round trip), and a track read once is that track for good.
      const cachedTracks = new Map<string, ReadonlyArray<Track>>()
      const remember = (organizationId: string, listed: ReadonlyArray<Track>) =>
        Effect.sync(() => {
          cachedTracks.delete(organizationId)
          if (cachedTracks.size >= TRACK_CACHE_SIZE) {
            const oldest = cachedTracks.keys().next()
            if (oldest.done !== true) cachedTracks.delete(oldest.value)
          }
          cachedTracks.set(organizationId, listed)
        })
      const currentTracks = (organizationId: string, count: number) =>
        Effect.suspend(() => {
          const known = cachedTracks.get(organizationId)
          return known !== undefined && known.length === count
            ? Effect.succeed(known)
            : Effect.tap(tracks.list(organizationId), (listed) => remember(organizationId, listed))
        })
      const knownTrack = (organizationId: string, trackId: string) =>
        Effect.suspend(() => {
          const known = cachedTracks.get(organizationId)?.find((track) => track.id === trackId)
          return known === undefined ? findTrack(organizationId, trackId) : Effect.succeed(known)
        })

      const transactional = <A, E>(effect: Effect.Effect<A, E>) =>
        sql.withTransaction(effect).pipe(Effect.catchTag("SqlError", Effect.die))

      // `record` inside the caller's transaction runs as it is: a savepoint would cost two round
      // trips per event and protect nothing (its one failure, TrackNotFound, comes before its
      // first write; anything else is a defect that rolls the caller's transaction back).
      const inTransaction = <A, E>(effect: Effect.Effect<A, E>) =>
        Effect.flatMap(Effect.serviceOption(sql.transactionService), (open) =>
          Option.isSome(open) ? effect : transactional(effect)
        )

      /**
       * `run` over the learner's events it needs: starting from `given`, fetches what `needs` asks
       * of the result (`domain/Evidence.ts`) and runs again, until it asks nothing new. The result
       * is `run`'s over the learner's whole history.
       */
      const withEvidence = <A>(
        organizationId: string,
        learnerId: string,
        given: ReadonlyArray<RecordedEvent>,
        run: (history: ReadonlyArray<RecordedEvent>) => A,
        needs: (result: A) => ReadonlyArray<HistoryQuery>
      ) =>
        Effect.gen(function* () {
          const known = new Map(given.map((event) => [event.eventId, event]))
          const asked = new Set<string>()
          let result = run([...known.values()])
          while (true) {
            const missing = new Map<string, HistoryQuery>()
            for (const query of needs(result)) {
              const key = keyOf(query)
              if (!asked.has(key)) missing.set(key, query)
            }
            if (missing.size === 0) return result
            for (const key of missing.keys()) asked.add(key)
            for (const event of yield* events.evidence(organizationId, learnerId, [...missing.values()])) {
              known.set(event.eventId, event)
            }
            result = run([...known.values()])
          }
        })

      const record = (
        organizationId: string,
        learnerId: string,
        incoming: IncomingEvent,
        options: { readonly trackId?: string | undefined } = {}
      ) =>
        inTransaction(
          Effect.gen(function* () {
            const event: RecordedEvent = {
              eventId: incoming.eventId,
              eventType: incoming.eventType,
              eventVersion: incoming.eventVersion,
              payload: incoming.payload,
              occurredAt: incoming.occurredAt
            }
            const only = options.trackId === undefined ? undefined : yield* knownTrack(organizationId, options.trackId)
            const now = new Date(yield* Clock.currentTimeMillis)
            // Locks are taken in track id order (`ProgressRepository.lockOrder`), so concurrent
            // events never deadlock. With the organization's tracks known, the claim locks the
            // relevant rows in its round trip, if the organization still has as many tracks (a
            // track added since: nothing is locked, and they are locked once the tracks are read).
            const known = only === undefined ? cachedTracks.get(organizationId) : [only]
            const guess = known?.filter((track) => isRelevant(track, event)).map((track) => track.id)
            const claim = yield* events.claim(
              organizationId,
              learnerId,
              event,
              now,
              options.trackId,
              guess === undefined || known === undefined
                ? undefined
                : { trackIds: guess, organizationTracks: only === undefined ? known.length : undefined }
            )
            const candidates =
              only === undefined ? yield* currentTracks(organizationId, claim.organizationTracks) : [only]
            const relevant = candidates.filter((track) => isRelevant(track, event)).sort(byId)
            const matchedTracks = relevant.map((track) => track.id)
            if (!claim.recorded) return { duplicate: true, matchedTracks, emissions: [] }
            if (relevant.length === 0) return { duplicate: false, matchedTracks, emissions: [] }

            const locked = claim.progress ?? (yield* progressRows.lock(organizationId, learnerId, matchedTracks))
            const rows = new Map(locked.map((row) => [row.state.trackId, row]))
            const emissions: Array<Emission> = []
            for (const track of relevant) {
              // Not returned: completed, it never moves again.
              const row = rows.get(track.id)
              if (row === undefined || row.state.completedAt !== null) continue
              const state = row.state
              // Every event of the learner matching a step advanced this track and settled it,
              // unless one was recorded for another track only, or was in flight when the track
              // was created (the progress is proved from scratch until it is saved once past that).
              const settled =
                wasSettled(state) &&
                !claim.scoped &&
                row.savedAt !== null &&
                row.savedAt.getTime() - Date.parse(track.createdAt) > NEW_TRACK_MS
              const outcome = yield* withEvidence(
                organizationId,
                learnerId,
                [event],
                (history) => applyEvent(track, state, history, event),
                (result) => evidenceFor(track, state, result, event, settled)
              )
              if (outcome.transitions.length === 0 && outcome.state === state) continue
              yield* progressRows.save(organizationId, outcome.state, derivedOf(track, outcome.state), now)
              emissions.push(...outcome.transitions.map((transition) => emissionOf(outcome.state, transition)))
            }
            return { duplicate: false, matchedTracks, emissions }
          })
        )

      const skipStep = (organizationId: string, learnerId: string, trackId: string, stepId: string) =>
        transactional(
          Effect.gen(function* () {
            const track = yield* findTrack(organizationId, trackId)
            if (!track.steps.some((step) => step.id === stepId)) {
              return yield* new StepNotFound({
                trackId,
                stepId,
                eventName: null,
                detail: `Track ${trackId} has no step ${stepId}.`
              })
            }
            const [open] = yield* progressRows.lock(organizationId, learnerId, [track.id])
            const state =
              open?.state ??
              Option.getOrElse(yield* progressRows.find(organizationId, learnerId, track.id), () =>
                initial(track.id, learnerId)
              )
            const now = new Date(yield* Clock.currentTimeMillis)
            // Every step the skip evaluates is evaluated from scratch (a skip is rare).
            const result = yield* withEvidence(
              organizationId,
              learnerId,
              [],
              (history) => skip(track, state, history, stepId, now),
              (result) =>
                result._tag === "Refused" || result.state === state
                  ? []
                  : evidenceFor(track, state, result, undefined, false)
            )
            if (result._tag === "Refused") {
              const refusal = result.refusal
              return yield* refusal._tag === "StepNotFound"
                ? Effect.fail(
                    new StepNotFound({
                      trackId,
                      stepId,
                      eventName: null,
                      detail: `Track ${trackId} has no step ${stepId}.`
                    })
                  )
                : Effect.fail(
                    new StepNotSkippable({
                      trackId,
                      stepId,
                      reason: refusal.reason,
                      detail: `Step ${stepId} cannot be skipped: it is ${refusal.reason}.`
                    })
                  )
            }
            if (result.state !== state) {
              yield* progressRows.save(organizationId, result.state, derivedOf(track, result.state), now)
            }
            return {
              progress: toProgress(track, result.state),
              emissions: result.transitions.map((transition) => emissionOf(result.state, transition))
            }
          })
        )

      const progress = (organizationId: string, learnerId: string, trackId?: string) =>
        Effect.gen(function* () {
          const listed = yield* tracksFor(organizationId, trackId)
          const stored = yield* progressRows.listForLearner(organizationId, learnerId)
          const byTrack = new Map(stored.map((state) => [state.trackId, state]))
          return listed.map((track) => toProgress(track, byTrack.get(track.id) ?? initial(track.id, learnerId)))
        })

      return Progression.of({ record, skip: skipStep, progress })
    })
  )
}
