/**
 * learning.onboarding.getProgress, learning.onboarding.recordEvent, learning.step.skip
 */

import type { Principal } from "@tessera/contract-kit/Contract"
import { implement } from "@tessera/contract-server/Implementation"
import {
  OnboardingCompleted,
  OnboardingStarted,
  OnboardingStepCompleted
} from "@tessera/contracts/learning-journey/Events"
import {
  GetProgress,
  OtherLearner,
  RecordEvent,
  SkipStep,
  StepNotFound
} from "@tessera/contracts/learning-journey/Onboarding"
import { EventIds } from "@tessera/envelope/EventIds"
import { Clock, Effect } from "effect"
import { type Emission, Progression } from "../services/Progression.ts"

type OnboardingEvent = typeof OnboardingStarted | typeof OnboardingStepCompleted | typeof OnboardingCompleted

/** A handler's `emit`, for contracts declaring the three onboarding events. */
type Emit = <D extends OnboardingEvent>(event: D, payload: D["payload"]["Type"]) => Effect.Effect<void>

const emitAll = (emissions: ReadonlyArray<Emission>, emit: Emit) =>
  Effect.forEach(
    emissions,
    (emission) => {
      switch (emission._tag) {
        case "Started":
          return emit(OnboardingStarted, emission.payload)
        case "StepCompleted":
          return emit(OnboardingStepCompleted, emission.payload)
        case "Completed":
          return emit(OnboardingCompleted, emission.payload)
      }
    },
    { discard: true }
  )

/**
 * The learner a call is about: the caller, or — for an admin only — anyone of the organization.
 * A user may neither read nor advance a colleague's progress.
 */
const learnerFor = (actor: Principal, learnerId: string | undefined) =>
  learnerId === undefined || learnerId === actor.userId || actor.roles.includes("admin")
    ? Effect.succeed(learnerId ?? actor.userId)
    : Effect.fail(new OtherLearner({ learnerId, detail: "Only an admin may name a learner other than themselves." }))

export const getProgress = implement(GetProgress, (input, { actor }) =>
  Effect.gen(function* () {
    const learnerId = yield* learnerFor(actor, input.learnerId)
    const progression = yield* Progression
    return { items: yield* progression.progress(actor.organizationId, learnerId, input.trackId) }
  })
)

/** Called by a service principal or an admin (the contract's policy): any learner of the organization. */
export const recordEvent = implement(RecordEvent, (input, { actor, emit }) =>
  Effect.gen(function* () {
    const learnerId = input.learnerId
    const progression = yield* Progression
    const eventId = yield* Effect.flatMap(EventIds, (ids) => ids.next)
    const occurredAt = new Date(input.occurredAt ?? (yield* Clock.currentTimeMillis))
    const result = yield* progression.record(
      actor.organizationId,
      learnerId,
      {
        eventId,
        eventType: input.eventName,
        eventVersion: input.eventVersion,
        payload: input.eventPayload ?? {},
        occurredAt
      },
      { trackId: input.trackId }
    )
    if (result.matchedTracks.length === 0) {
      return yield* new StepNotFound({
        trackId: input.trackId ?? null,
        stepId: null,
        eventName: input.eventName,
        detail: `No step ${input.trackId === undefined ? "of your organization's tracks" : `of track ${input.trackId}`} counts ${input.eventName} events.`
      })
    }
    yield* emitAll(result.emissions, emit)
    return { success: true }
  })
)

export const skipStep = implement(SkipStep, (input, { actor, emit }) =>
  Effect.gen(function* () {
    const progression = yield* Progression
    const result = yield* progression.skip(actor.organizationId, actor.userId, input.trackId, input.stepId)
    yield* emitAll(result.emissions, emit)
    return result.progress
  })
)
