/**
 * One learner's progress on one track, and how it moves: a new event, or a skip. Pure: the
 * caller loads the state and the learner's event history, and stores what comes back.
 *
 * Evaluation settles: after a step completes (or is skipped), the steps it unblocks are checked
 * against the learner's whole history, so events that happened before a step was available still
 * count once it is ("you already did that").
 */
import type { Progress } from "@tessera/contracts/learning-journey/Onboarding"
import type { TrackId } from "@tessera/contracts/learning-journey/Shared"
import type { Track } from "@tessera/contracts/learning-journey/Tracks"
import { availability, isComplete, type Marks, statusOf } from "./Availability.ts"
import { isSatisfied, type LearnerEvent, matches } from "./Conditions.ts"
import { badgesOf, stepXp, streakBonus, xpOf } from "./Rewards.ts"
import * as Streak from "./Streak.ts"

export type TrackLike = Pick<Track, "id" | "steps" | "completion" | "streak">

export interface ProgressState {
  readonly trackId: TrackId
  readonly learnerId: string
  readonly marks: Marks
  readonly streak: Streak.StreakState
  readonly startedAt: Date | null
  readonly lastActivityAt: Date | null
  readonly completedAt: Date | null
}

/** What happened to the progress: each becomes an onboarding event. */
export type Transition =
  | { readonly _tag: "Started"; readonly at: Date }
  | {
      readonly _tag: "StepCompleted"
      readonly stepId: string
      readonly xpAwarded: number
      /** The learner's XP on the track after this step (before the completion bonus). */
      readonly xp: number
      readonly at: Date
    }
  | { readonly _tag: "Completed"; readonly xp: number; readonly badges: ReadonlyArray<string>; readonly at: Date }

export interface Outcome {
  readonly state: ProgressState
  readonly transitions: ReadonlyArray<Transition>
}

export const initial = (trackId: TrackId, learnerId: string): ProgressState => ({
  trackId,
  learnerId,
  marks: {},
  streak: Streak.empty,
  startedAt: null,
  lastActivityAt: null,
  completedAt: null
})

/** Whether some step of the track counts events like this one. */
export const isRelevant = (track: Pick<Track, "steps">, event: LearnerEvent): boolean =>
  track.steps.some((step) => matches(step.condition.event, event))

const later = (a: Date | null, b: Date): Date => (a !== null && a.getTime() > b.getTime() ? a : b)

/**
 * Completes every available step whose condition holds over `history`, until none is left, then
 * the track when every step is done. Completion times are `at`.
 */
const settle = (track: TrackLike, state: ProgressState, history: ReadonlyArray<LearnerEvent>, at: Date): Outcome => {
  if (state.completedAt !== null) return { state, transitions: [] }
  const transitions: Array<Transition> = []
  let marks: Marks = state.marks
  const startedAt = state.startedAt ?? undefined
  let changed = true
  while (changed) {
    changed = false
    for (const step of track.steps) {
      if (statusOf(step, marks) !== "available" || !isSatisfied(step.condition, history, startedAt)) continue
      marks = { ...marks, [step.id]: { status: "completed", at } }
      transitions.push({
        _tag: "StepCompleted",
        stepId: step.id,
        xpAwarded: step.xp,
        xp: stepXp(track, marks) + streakBonus(track, state.streak.longest),
        at
      })
      changed = true
    }
  }
  if (!isComplete(track.steps, marks)) return { state: { ...state, marks }, transitions }
  const xp = xpOf(track, marks, state.streak.longest)
  transitions.push({ _tag: "Completed", xp, badges: badgesOf(track, marks, state.streak.longest), at })
  return { state: { ...state, marks, completedAt: at }, transitions }
}

/**
 * Applies a new event of the learner. `history` is every event of the learner the journey knows,
 * this one included. An event no step of the track counts changes nothing; a completed track
 * does not move any more.
 */
export const applyEvent = (
  track: TrackLike,
  state: ProgressState,
  history: ReadonlyArray<LearnerEvent>,
  event: LearnerEvent
): Outcome => {
  if (state.completedAt !== null || !isRelevant(track, event)) return { state, transitions: [] }
  const transitions: Array<Transition> = []
  const startedAt = state.startedAt ?? event.occurredAt
  if (state.startedAt === null) transitions.push({ _tag: "Started", at: startedAt })
  const active: ProgressState = {
    ...state,
    startedAt,
    lastActivityAt: later(state.lastActivityAt, event.occurredAt),
    streak: Streak.record(state.streak, Streak.dayOf(event.occurredAt))
  }
  const settled = settle(track, active, history, event.occurredAt)
  return { state: settled.state, transitions: [...transitions, ...settled.transitions] }
}

export type SkipRefusal =
  | { readonly _tag: "StepNotFound" }
  | { readonly _tag: "NotSkippable"; readonly reason: "required" | "completed" | "blocked" }

/**
 * Skips an optional, available step at `at`. Skipping a skipped step changes nothing. The steps
 * it unblocks are settled against `history`.
 */
export const skip = (
  track: TrackLike,
  state: ProgressState,
  history: ReadonlyArray<LearnerEvent>,
  stepId: string,
  at: Date
): { readonly _tag: "Refused"; readonly refusal: SkipRefusal } | ({ readonly _tag: "Skipped" } & Outcome) => {
  const step = track.steps.find((candidate) => candidate.id === stepId)
  if (step === undefined) return { _tag: "Refused", refusal: { _tag: "StepNotFound" } }
  const status = statusOf(step, state.marks)
  if (status === "skipped") return { _tag: "Skipped", state, transitions: [] }
  if (status === "completed") return { _tag: "Refused", refusal: { _tag: "NotSkippable", reason: "completed" } }
  if (step.required) return { _tag: "Refused", refusal: { _tag: "NotSkippable", reason: "required" } }
  if (status === "blocked") return { _tag: "Refused", refusal: { _tag: "NotSkippable", reason: "blocked" } }
  const transitions: Array<Transition> = state.startedAt === null ? [{ _tag: "Started", at }] : []
  const skipped: ProgressState = {
    ...state,
    startedAt: state.startedAt ?? at,
    lastActivityAt: later(state.lastActivityAt, at),
    marks: { ...state.marks, [step.id]: { status: "skipped", at } }
  }
  const settled = settle(track, skipped, history, at)
  return { _tag: "Skipped", state: settled.state, transitions: [...transitions, ...settled.transitions] }
}

export const statusOfProgress = (track: Pick<Track, "steps">, state: ProgressState): Progress["status"] =>
  state.completedAt !== null || isComplete(track.steps, state.marks)
    ? "completed"
    : state.startedAt === null
      ? "not_started"
      : "in_progress"

/** The progress in its API shape. */
export const toProgress = (track: TrackLike, state: ProgressState): Progress => ({
  trackId: state.trackId,
  learnerId: state.learnerId,
  status: statusOfProgress(track, state),
  steps: availability(track.steps, state.marks).map((step) => ({
    stepId: step.stepId,
    status: step.status,
    doneAt: step.doneAt === null ? null : step.doneAt.toISOString()
  })),
  xp: xpOf(track, state.marks, state.streak.longest),
  badges: badgesOf(track, state.marks, state.streak.longest),
  streak: state.streak,
  startedAt: state.startedAt === null ? null : state.startedAt.toISOString(),
  lastActivityAt: state.lastActivityAt === null ? null : state.lastActivityAt.toISOString(),
  completedAt: state.completedAt === null ? null : state.completedAt.toISOString()
})
