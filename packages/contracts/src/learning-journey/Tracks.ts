/**
 * Tracks: ordered steps a learner works through in a product, each completed by events of that
 * product (see `Conditions.ts`), with rewards for steps, for completing the track and for
 * keeping a streak of active days.
 */
import { command, query } from "@tessera/contract-kit/Contract"
import { ContractError } from "@tessera/contract-kit/ContractError"
import { Schema } from "effect"
import { Condition } from "./Conditions.ts"
import { BadgeKey, Name, owners, StepId, Text, Timestamp, TrackId, Xp } from "./Shared.ts"

export const Step = Schema.Struct({
  id: StepId,
  title: Name,
  instructions: Text,
  condition: Condition,
  /** XP earned when the step completes (a skipped step earns none). */
  xp: Xp,
  /** Steps that must be completed or skipped before this one becomes available. */
  prerequisites: Schema.Array(StepId),
  /** A required step cannot be skipped. */
  required: Schema.Boolean
})
export type Step = typeof Step.Type

/** Rewards for completing the track. */
export const CompletionRewards = Schema.Struct({
  xpBonus: Xp,
  badge: Schema.NullOr(BadgeKey)
})
export type CompletionRewards = typeof CompletionRewards.Type

/** Rewards for being active on `days` consecutive days (UTC) while on the track; earned once. */
export const StreakRule = Schema.Struct({
  days: Schema.Int.check(Schema.isBetween({ minimum: 2, maximum: 365 })),
  xpBonus: Xp,
  badge: Schema.NullOr(BadgeKey)
})
export type StreakRule = typeof StreakRule.Type

/**
 * A track's steps: 1 to 50, ids unique, prerequisites naming earlier steps only (so the
 * prerequisite graph has no cycles and the order shown is an order a learner can follow).
 */
export const Steps = Schema.Array(Step).check(
  Schema.isMinLength(1),
  Schema.isMaxLength(50),
  Schema.makeFilter((steps) => {
    const seen = new Set<string>()
    for (const step of steps) {
      if (seen.has(step.id)) return `step ids must be unique: "${step.id}" appears twice`
      for (const prerequisite of step.prerequisites) {
        if (!seen.has(prerequisite))
          return `step "${step.id}": prerequisite "${prerequisite}" must be an earlier step of the track`
      }
      seen.add(step.id)
    }
    return undefined
  })
)

/** A track as code defines it and `learning.track.create` receives it. */
export const TrackDefinition = Schema.Struct({
  product: Name,
  name: Name,
  description: Text,
  steps: Steps,
  completion: CompletionRewards,
  streak: Schema.NullOr(StreakRule)
})
export type TrackDefinition = typeof TrackDefinition.Type

export const Track = Schema.Struct({
  id: TrackId,
  product: Name,
  name: Name,
  description: Text,
  steps: Schema.Array(Step),
  completion: CompletionRewards,
  streak: Schema.NullOr(StreakRule),
  createdAt: Timestamp
})
export type Track = typeof Track.Type

export class TrackNameTaken extends ContractError<TrackNameTaken>()(
  "TrackNameTaken",
  {
    code: "TRACK_NAME_TAKEN",
    status: 409,
    title: "Track name taken",
    when: "The organization already has a track with this name"
  },
  { name: Schema.String }
) {}

const exampleSteps = [
  {
    id: "create-pipeline",
    title: "Create a pipeline",
    instructions: "Open Pipelines and create your first sales pipeline.",
    condition: { kind: "event" as const, event: { eventType: "pipeline.created", eventVersion: 1 } },
    xp: 50,
    prerequisites: [],
    required: true
  },
  {
    id: "move-deals",
    title: "Move deals three times",
    instructions: "Drag deals between stages on the board.",
    condition: {
      kind: "count" as const,
      event: { eventType: "deal.moved", eventVersion: 1 },
      atLeast: 3,
      withinHours: 72
    },
    xp: 75,
    prerequisites: ["create-pipeline"],
    required: false
  }
]

export const CreateTrack = command({
  meta: {
    key: "learning.track.create",
    version: "1.0.0",
    stability: "stable",
    owners,
    tags: ["learning", "track", "create"],
    description: "Create an onboarding track: ordered steps completed by product events, with rewards.",
    goal: "Let an organization guide its users through a product with its own journeys.",
    context: "Track authoring, done by an administrator."
  },
  input: TrackDefinition,
  output: Track,
  errors: [TrackNameTaken],
  policy: { auth: "admin" },
  acceptance: {
    scenarios: [
      {
        key: "create-track-happy-path",
        given: ["User is an administrator"],
        when: ["User creates a track with two steps, the second depending on the first"],
        then: ["The track is stored with its steps in order and returned with a new id"]
      },
      {
        key: "create-track-rejects-forward-prerequisite",
        given: ["User is an administrator"],
        when: ["User creates a track whose first step requires a later step"],
        then: ["The call is refused with 400 and the issue names the prerequisite"]
      },
      {
        key: "create-track-name-taken",
        given: ["The organization has a track named Sales basics"],
        when: ["An administrator creates another track named Sales basics"],
        then: ["The call is refused with 409 TRACK_NAME_TAKEN"]
      }
    ],
    examples: [
      {
        key: "create-sales-basics",
        input: {
          product: "crm",
          name: "Sales basics",
          description: "Set up a pipeline and work your deals.",
          steps: exampleSteps,
          completion: { xpBonus: 100, badge: "sales-basics" },
          streak: { days: 3, xpBonus: 30, badge: null }
        },
        output: {
          id: "track_1",
          product: "crm",
          name: "Sales basics",
          description: "Set up a pipeline and work your deals.",
          steps: exampleSteps,
          completion: { xpBonus: 100, badge: "sales-basics" },
          streak: { days: 3, xpBonus: 30, badge: null },
          createdAt: "2025-01-20T09:00:00.000Z"
        }
      }
    ]
  }
})

export const ListTracks = query({
  meta: {
    key: "learning.track.list",
    version: "1.0.0",
    stability: "stable",
    owners,
    tags: ["learning", "track", "list"],
    description: "List the organization's tracks with their steps, optionally for one product.",
    goal: "Show which journeys a learner can follow.",
    context: "Onboarding home, track authoring."
  },
  input: Schema.Struct({ product: Schema.optionalKey(Name) }),
  output: Schema.Struct({ items: Schema.Array(Track) }),
  policy: { auth: "user" },
  acceptance: {
    scenarios: [
      {
        key: "list-tracks-own-organization",
        given: ["Two organizations each have a track"],
        when: ["A user lists tracks"],
        then: ["Only the user's organization's tracks are returned, oldest first"]
      }
    ],
    examples: [
      {
        key: "list-crm-tracks",
        input: { product: "crm" },
        output: {
          items: [
            {
              id: "track_1",
              product: "crm",
              name: "Sales basics",
              description: "Set up a pipeline and work your deals.",
              steps: exampleSteps,
              completion: { xpBonus: 100, badge: "sales-basics" },
              streak: null,
              createdAt: "2025-01-20T09:00:00.000Z"
            }
          ]
        }
      }
    ]
  }
})
