/**
 * A learner's progress on tracks: read it, advance it from product events, skip optional steps.
 * Progress advances by itself from the events other domains publish (the learning journey
 * consumes them through the dispatcher); `learning.onboarding.recordEvent` is the same entry
 * point for callers outside the event bus.
 */
import { command, type EmitDeclaration, query } from "@tessera/contract-kit/Contract"
import { ContractError } from "@tessera/contract-kit/ContractError"
import { Schema } from "effect"
import { EventType, EventVersion } from "./Conditions.ts"
import { OnboardingCompleted, OnboardingStarted, OnboardingStepCompleted } from "./Events.ts"
import { BadgeKey, Day, LearnerId, owners, StepId, Timestamp, TotalXp, TrackId } from "./Shared.ts"

/**
 * - `blocked`: a prerequisite is neither completed nor skipped;
 * - `available`: every prerequisite is completed or skipped, the step is not;
 * - `completed`: its condition was met while it was available;
 * - `skipped`: the learner skipped it (optional steps only).
 */
export const StepStatus = Schema.Literals(["available", "blocked", "completed", "skipped"])
export type StepStatus = typeof StepStatus.Type

export const StepProgress = Schema.Struct({
  stepId: StepId,
  status: StepStatus,
  /** When it was completed or skipped. */
  doneAt: Schema.NullOr(Timestamp)
})
export type StepProgress = typeof StepProgress.Type

/** Activity on consecutive days (UTC). `current` is the run ending on `lastActiveDay`. */
export const Streak = Schema.Struct({
  current: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)),
  longest: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)),
  lastActiveDay: Schema.NullOr(Day)
})
export type Streak = typeof Streak.Type

export const ProgressStatus = Schema.Literals(["not_started", "in_progress", "completed"])
export type ProgressStatus = typeof ProgressStatus.Type

export const Progress = Schema.Struct({
  trackId: TrackId,
  learnerId: LearnerId,
  status: ProgressStatus,
  /** In the track's step order. */
  steps: Schema.Array(StepProgress),
  /** Completed steps' XP, plus the completion bonus and the streak bonus once earned. */
  xp: TotalXp,
  badges: Schema.Array(BadgeKey),
  streak: Streak,
  startedAt: Schema.NullOr(Timestamp),
  lastActivityAt: Schema.NullOr(Timestamp),
  completedAt: Schema.NullOr(Timestamp)
})
export type Progress = typeof Progress.Type

export class OtherLearner extends ContractError<OtherLearner>()(
  "OtherLearner",
  {
    code: "OTHER_LEARNER",
    status: 403,
    title: "Another learner",
    when: "A user without the admin role names a learner other than themselves"
  },
  { learnerId: Schema.String }
) {}

export class TrackNotFound extends ContractError<TrackNotFound>()(
  "TrackNotFound",
  {
    code: "TRACK_NOT_FOUND",
    status: 404,
    title: "Track not found",
    when: "Track ID or routing context is invalid"
  },
  { trackId: Schema.String }
) {}

export class StepNotFound extends ContractError<StepNotFound>()(
  "StepNotFound",
  {
    code: "STEP_NOT_FOUND",
    status: 404,
    title: "Step not found",
    when: "No step matches the incoming event, or no step has this id"
  },
  {
    trackId: Schema.NullOr(Schema.String),
    stepId: Schema.NullOr(Schema.String),
    eventName: Schema.NullOr(Schema.String)
  }
) {}

export class StepNotSkippable extends ContractError<StepNotSkippable>()(
  "StepNotSkippable",
  {
    code: "STEP_NOT_SKIPPABLE",
    status: 409,
    title: "Step cannot be skipped",
    when: "The step is required, already completed, or still blocked by its prerequisites"
  },
  { trackId: Schema.String, stepId: Schema.String, reason: Schema.Literals(["required", "completed", "blocked"]) }
) {}

/** The built-in CRM first win track after its first step (a pipeline created at 09:00). */
const exampleProgress = {
  trackId: "crm-first-win",
  learnerId: "user_1",
  status: "in_progress" as const,
  steps: [
    { stepId: "create-pipeline", status: "completed" as const, doneAt: "2025-01-20T09:00:00.000Z" },
    { stepId: "create-contact", status: "available" as const, doneAt: null },
    { stepId: "create-deal", status: "blocked" as const, doneAt: null },
    { stepId: "move-deals", status: "blocked" as const, doneAt: null },
    { stepId: "win-deal", status: "blocked" as const, doneAt: null },
    { stepId: "follow-up", status: "blocked" as const, doneAt: null }
  ],
  xp: 50,
  badges: [],
  streak: { current: 1, longest: 1, lastActiveDay: "2025-01-20" },
  startedAt: "2025-01-20T09:00:00.000Z",
  lastActivityAt: "2025-01-20T09:00:00.000Z",
  completedAt: null
}

/**
 * The emitted events of a contract, typed as one union up front: the kit infers a contract's
 * event type from `emits`, and inference from an array literal of differently typed
 * declarations stops at the first element.
 */
const recordEventEmits: ReadonlyArray<
  EmitDeclaration<typeof OnboardingStarted | typeof OnboardingStepCompleted | typeof OnboardingCompleted>
> = [
  { event: OnboardingStarted, when: "The event is the learner's first on the track" },
  { event: OnboardingStepCompleted, when: "The event completes a step (and, in cascade, steps it unblocks)" },
  { event: OnboardingCompleted, when: "Every step of the track is completed or skipped" }
]

const skipStepEmits: ReadonlyArray<
  EmitDeclaration<typeof OnboardingStarted | typeof OnboardingStepCompleted | typeof OnboardingCompleted>
> = [
  { event: OnboardingStarted, when: "The skip is the learner's first activity on the track" },
  {
    event: OnboardingStepCompleted,
    when: "A step the skip unblocks is already satisfied by the learner's earlier events"
  },
  { event: OnboardingCompleted, when: "The skip leaves every step completed or skipped" }
]

export const GetProgress = query({
  meta: {
    key: "learning.onboarding.getProgress",
    version: "1.0.0",
    stability: "stable",
    owners,
    tags: ["learning", "onboarding", "progress"],
    description: "A learner's progress on the organization's tracks (all of them, or one).",
    goal: "Show a learner where they are and what to do next.",
    context: "Onboarding checklist, profile page. The learner defaults to the caller."
  },
  input: Schema.Struct({
    learnerId: Schema.optionalKey(LearnerId),
    trackId: Schema.optionalKey(TrackId)
  }),
  output: Schema.Struct({ items: Schema.Array(Progress) }),
  errors: [TrackNotFound, OtherLearner],
  policy: { auth: "user" },
  acceptance: {
    scenarios: [
      {
        key: "get-progress-not-started",
        given: ["The organization has the CRM first win track", "The learner has done nothing yet"],
        when: ["The learner reads their progress"],
        then: ["The track is not_started, its first step available, the others blocked, with 0 XP"]
      },
      {
        key: "get-progress-unknown-track",
        given: ["No track with the id exists in the caller's organization"],
        when: ["The learner reads their progress on it"],
        then: ["The call is refused with 404 TRACK_NOT_FOUND"]
      }
    ],
    examples: [
      { key: "progress-after-first-step", input: { trackId: "crm-first-win" }, output: { items: [exampleProgress] } }
    ]
  }
})

export const RecordEvent = command({
  meta: {
    key: "learning.onboarding.recordEvent",
    version: "2.0.0",
    stability: "stable",
    owners,
    tags: ["learning", "onboarding", "events"],
    description: "Record a domain event to evaluate onboarding step completion conditions.",
    goal: "Advance onboarding automatically from product events.",
    context:
      "Called by event bus handlers when relevant product events fire (e.g., deal.created). Unlike the seed's `auth: 'user'`, the caller must be a service principal (a process relaying product events, token `kind: service`) or an admin, never the learner: a user recording events for themselves could award themselves steps, XP and badges without doing anything (version 2.0.0 closed that hole). Services and admins may name any learner of their organization."
  },
  input: Schema.Struct({
    learnerId: LearnerId,
    /** Only this track's steps are evaluated; all of the organization's tracks when omitted. */
    trackId: Schema.optionalKey(TrackId),
    eventName: EventType,
    /** Matches steps written against any version when omitted. */
    eventVersion: Schema.optionalKey(EventVersion),
    eventPayload: Schema.optionalKey(Schema.Record(Schema.String, Schema.Json)),
    /** Defaults to the time of the call. */
    occurredAt: Schema.optionalKey(Timestamp)
  }),
  output: Schema.Struct({ success: Schema.Boolean }),
  errors: [TrackNotFound, StepNotFound],
  policy: { auth: "service" },
  emits: recordEventEmits,
  acceptance: {
    scenarios: [
      {
        key: "record-event-completes-step",
        given: ["The learner is on the CRM first win track with no step done"],
        when: ["A pipeline.created event is recorded for the learner"],
        then: [
          "The create-pipeline step is completed with its XP",
          "onboarding.started and onboarding.step_completed are emitted"
        ]
      },
      {
        key: "record-event-unknown-track",
        given: ["No track with the id exists in the caller's organization"],
        when: ["An event is recorded for that track"],
        then: ["The call is refused with 404 TRACK_NOT_FOUND"]
      },
      {
        key: "record-event-refused-to-learners",
        given: ["A user without the admin role, recording an event for themselves"],
        when: ["They call learning.onboarding.recordEvent"],
        then: ["The call is refused with 403 FORBIDDEN: only services and admins record events"]
      },
      {
        key: "record-event-no-matching-step",
        given: ["No step of the organization's tracks is completed by invoice.paid events"],
        when: ["An invoice.paid event is recorded"],
        then: ["The call is refused with 404 STEP_NOT_FOUND"]
      }
    ],
    examples: [
      {
        key: "record-follow-up-completed",
        input: {
          learnerId: "user_1",
          trackId: "crm-first-win",
          eventName: "task.completed",
          eventVersion: 1,
          eventPayload: { taskId: "task_1", type: "follow_up" },
          occurredAt: "2025-01-21T09:00:00.000Z"
        },
        output: { success: true }
      }
    ]
  }
})

export const SkipStep = command({
  meta: {
    key: "learning.step.skip",
    version: "1.0.0",
    stability: "stable",
    owners,
    tags: ["learning", "onboarding", "step"],
    description: "Skip an optional step of a track: it unblocks the steps after it but earns no XP.",
    goal: "Let learners pass steps that do not apply to them.",
    context: "Onboarding checklist. Skips the caller's own step."
  },
  input: Schema.Struct({ trackId: TrackId, stepId: StepId }),
  output: Progress,
  errors: [TrackNotFound, StepNotFound, StepNotSkippable],
  policy: { auth: "user" },
  emits: skipStepEmits,
  acceptance: {
    scenarios: [
      {
        key: "skip-optional-step",
        given: ["An optional step of the track is available to the learner"],
        when: ["The learner skips it"],
        then: ["The step is skipped, earns no XP, and the steps depending on it become available"]
      },
      {
        key: "skip-required-step-refused",
        given: ["A required step of the track"],
        when: ["The learner skips it"],
        then: ["The call is refused with 409 STEP_NOT_SKIPPABLE"]
      }
    ],
    examples: [
      {
        key: "skip-follow-up",
        description: "The deal is won; the learner skips the optional follow-up and completes the track.",
        input: { trackId: "crm-first-win", stepId: "follow-up" },
        output: {
          ...exampleProgress,
          status: "completed",
          steps: [
            { stepId: "create-pipeline", status: "completed", doneAt: "2025-01-20T09:00:00.000Z" },
            { stepId: "create-contact", status: "completed", doneAt: "2025-01-20T09:10:00.000Z" },
            { stepId: "create-deal", status: "completed", doneAt: "2025-01-20T09:20:00.000Z" },
            { stepId: "move-deals", status: "completed", doneAt: "2025-01-20T09:50:00.000Z" },
            { stepId: "win-deal", status: "completed", doneAt: "2025-01-20T10:00:00.000Z" },
            { stepId: "follow-up", status: "skipped", doneAt: "2025-01-20T11:00:00.000Z" }
          ],
          xp: 625,
          badges: ["crm-first-win"],
          lastActivityAt: "2025-01-20T11:00:00.000Z",
          completedAt: "2025-01-20T11:00:00.000Z"
        }
      }
    ]
  }
})
