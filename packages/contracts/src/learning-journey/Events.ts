/**
 * The events the learning journey publishes about a learner's progress on a track. Their subject
 * is the learner's progress on one track (`onboarding` / `<trackId>:<learnerId>`), so one
 * learner's events on one track are delivered in order.
 */
import { define } from "@tessera/envelope/EventDefinition"
import { Schema } from "effect"
import { BadgeKey, LearnerId, StepId, Timestamp, TotalXp, TrackId, Xp } from "./Shared.ts"

const subjectOf = (payload: { readonly trackId: string; readonly learnerId: string }) => ({
  type: "onboarding",
  id: `${payload.trackId}:${payload.learnerId}`
})

export const OnboardingStarted = define({
  type: "onboarding.started",
  version: 1,
  producer: "learning",
  description: "A learner started a track: the first event that counts for one of its steps was recorded.",
  payload: Schema.Struct({
    trackId: TrackId,
    learnerId: LearnerId,
    startedAt: Timestamp
  }),
  subject: subjectOf
})

export const OnboardingStepCompleted = define({
  type: "onboarding.step_completed",
  version: 1,
  producer: "learning",
  description: "A learner completed a step of a track, earning its XP.",
  payload: Schema.Struct({
    trackId: TrackId,
    learnerId: LearnerId,
    stepId: StepId,
    xpAwarded: Xp,
    /** The learner's XP on the track after this step. */
    xp: TotalXp,
    completedAt: Timestamp
  }),
  subject: subjectOf
})

export const OnboardingCompleted = define({
  type: "onboarding.completed",
  version: 1,
  producer: "learning",
  description: "A learner completed a track (every step completed or skipped), earning its completion rewards.",
  payload: Schema.Struct({
    trackId: TrackId,
    learnerId: LearnerId,
    /** The learner's XP on the track, completion bonus included. */
    xp: TotalXp,
    badges: Schema.Array(BadgeKey),
    completedAt: Timestamp
  }),
  subject: subjectOf
})
