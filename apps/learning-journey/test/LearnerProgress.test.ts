import { assert, describe, it } from "@effect/vitest"
import { TrackId } from "@tessera/contracts/learning-journey/Shared"
import { TrackDefinition } from "@tessera/contracts/learning-journey/Tracks"
import { Schema } from "effect"
import fc from "fast-check"
import { availability, type Marks } from "../src/domain/Availability.ts"
import type { LearnerEvent } from "../src/domain/Conditions.ts"
import { CrmFirstWin } from "../src/domain/CrmFirstWin.ts"
import {
  applyEvent,
  initial,
  type ProgressState,
  skip,
  type TrackLike,
  toProgress
} from "../src/domain/LearnerProgress.ts"
import { badgesOf, completionBonus, stepXp, xpOf } from "../src/domain/Rewards.ts"

const HOUR = 3_600_000
const t0 = Date.parse("2025-01-20T09:00:00.000Z")
const track: TrackLike = { ...CrmFirstWin, id: TrackId.make("crm-first-win") }

const at = (hours: number) => new Date(t0 + hours * HOUR)
const crm = (eventType: string, hours: number, payload: Record<string, unknown> = {}): LearnerEvent => ({
  eventType,
  eventVersion: 1,
  payload,
  occurredAt: at(hours)
})

/** The CRM first win, done in order on one day. */
const firstWin: ReadonlyArray<LearnerEvent> = [
  crm("pipeline.created", 0),
  crm("contact.created", 1),
  crm("deal.created", 2),
  crm("deal.moved", 3),
  crm("deal.moved", 4),
  crm("deal.moved", 5),
  crm("deal.won", 6),
  crm("task.completed", 7, { type: "follow_up" })
]

/** Feeds events one by one, each with the history so far (as the Progression service does). */
const feed = (events: ReadonlyArray<LearnerEvent>, state: ProgressState = initial(track.id, "user_1")) => {
  const history: Array<LearnerEvent> = []
  const transitions = []
  for (const event of events) {
    history.push(event)
    const outcome = applyEvent(track, state, history, event)
    state = outcome.state
    transitions.push(...outcome.transitions)
  }
  return { state, transitions }
}

describe("CRM first win", () => {
  it("is a valid track definition", () => {
    assert.isTrue(Schema.is(TrackDefinition)(CrmFirstWin))
  })

  it("completes with every step's XP, the completion bonus and the badge", () => {
    const { state, transitions } = feed(firstWin)
    const progress = toProgress(track, state)
    assert.strictEqual(progress.status, "completed")
    assert.strictEqual(progress.xp, 50 + 50 + 75 + 100 + 150 + 75 + 200)
    assert.deepStrictEqual(progress.badges, ["crm-first-win"])
    assert.deepStrictEqual(
      transitions.map((t) => (t._tag === "StepCompleted" ? t.stepId : t._tag)),
      [
        "Started",
        "create-pipeline",
        "create-contact",
        "create-deal",
        "move-deals",
        "win-deal",
        "follow-up",
        "Completed"
      ]
    )
    assert.strictEqual(progress.completedAt, at(7).toISOString())
    assert.deepStrictEqual(progress.streak, { current: 1, longest: 1, lastActiveDay: "2025-01-20" })
  })

  it("the move step needs three moves, and a follow-up needs a follow_up task", () => {
    const { state } = feed([...firstWin.slice(0, 5), crm("deal.won", 6), crm("task.completed", 7, { type: "call" })])
    const steps = toProgress(track, state).steps
    assert.deepStrictEqual(
      steps.map((s) => s.status),
      ["completed", "completed", "completed", "available", "blocked", "blocked"]
    )
  })

  it("events before a step is available count once it is (settling in cascade)", () => {
    const early = [crm("deal.won", 0), crm("deal.moved", 1), crm("deal.created", 1), crm("contact.created", 2)]
    const { state, transitions } = feed(early)
    assert.strictEqual(toProgress(track, state).steps.filter((s) => s.status === "completed").length, 0)
    assert.deepStrictEqual(
      transitions.map((t) => t._tag),
      ["Started"]
    )
    const later = feed([...early, crm("pipeline.created", 3)])
    assert.deepStrictEqual(
      toProgress(track, later.state).steps.map((s) => s.status),
      ["completed", "completed", "completed", "available", "blocked", "blocked"]
    )
  })

  it("three active days in a row earn the streak badge and bonus", () => {
    const { state } = feed(firstWin.map((event, i) => ({ ...event, occurredAt: at(i * 12) })))
    const progress = toProgress(track, state)
    assert.strictEqual(progress.streak.longest, 4)
    assert.deepStrictEqual(progress.badges, ["crm-first-win", "crm-streak-3"])
    assert.strictEqual(progress.xp, 700 + 50)
  })

  it("an unrelated event neither starts the track nor counts as activity", () => {
    const outcome = applyEvent(track, initial(track.id, "user_1"), [crm("invoice.paid", 0)], crm("invoice.paid", 0))
    assert.deepStrictEqual(outcome.transitions, [])
    assert.isNull(outcome.state.startedAt)
  })
})

describe("skip", () => {
  const done = feed(firstWin.slice(0, 7)).state

  it("skips an optional available step, earning no XP, and completes the track", () => {
    const result = skip(track, done, [], "follow-up", at(8))
    assert.strictEqual(result._tag, "Skipped")
    if (result._tag !== "Skipped") return
    const progress = toProgress(track, result.state)
    assert.strictEqual(progress.status, "completed")
    assert.strictEqual(progress.xp, 50 + 50 + 75 + 100 + 150 + 200)
    assert.deepStrictEqual(
      result.transitions.map((t) => t._tag),
      ["Completed"]
    )
  })

  it("refuses required, completed, blocked and unknown steps", () => {
    const refusal = (state: ProgressState, stepId: string) => {
      const result = skip(track, state, [], stepId, at(8))
      return result._tag === "Refused" ? result.refusal : undefined
    }
    assert.deepStrictEqual(refusal(done, "win-deal"), { _tag: "NotSkippable", reason: "completed" })
    assert.deepStrictEqual(refusal(initial(track.id, "u"), "create-deal"), { _tag: "NotSkippable", reason: "required" })
    assert.deepStrictEqual(refusal(initial(track.id, "u"), "follow-up"), { _tag: "NotSkippable", reason: "blocked" })
    assert.deepStrictEqual(refusal(done, "nope"), { _tag: "StepNotFound" })
  })
})

describe("rewards and availability (properties)", () => {
  const markArb: fc.Arbitrary<Marks> = fc
    .array(
      fc.tuple(
        fc.constantFrom(...track.steps.map((s) => s.id)),
        fc.constantFrom("completed" as const, "skipped" as const)
      )
    )
    .map((entries) => Object.fromEntries(entries.map(([id, status]) => [id, { status, at: new Date(t0) }])))

  it("property: a step is available exactly when all its prerequisites are done", () => {
    fc.assert(
      fc.property(markArb, (marks) =>
        availability(track.steps, marks).every((entry, i) => {
          const step = track.steps[i]
          if (step === undefined) return false
          if (entry.status === "completed" || entry.status === "skipped") return marks[step.id]?.status === entry.status
          const ready = step.prerequisites.every((p) => marks[p] !== undefined)
          return entry.status === (ready ? "available" : "blocked")
        })
      )
    )
  })

  it("property: XP is step XP plus bonuses, bounded, and badges come with their rewards", () => {
    fc.assert(
      fc.property(markArb, fc.integer({ min: 0, max: 10 }), (marks, longest) => {
        const xp = xpOf(track, marks, longest)
        const complete = track.steps.every((s) => marks[s.id] !== undefined)
        const badges = badgesOf(track, marks, longest)
        return (
          xp >= stepXp(track, marks) &&
          xp <= 500 + 200 + 50 &&
          completionBonus(track, marks) === (complete ? 200 : 0) &&
          badges.includes("crm-first-win") === complete &&
          badges.includes("crm-streak-3") === longest >= 3
        )
      })
    )
  })

  it("property: any order of the first-win events completes the track with the same XP, and replays add nothing", () => {
    fc.assert(
      fc.property(
        fc.shuffledSubarray([...firstWin], { minLength: firstWin.length, maxLength: firstWin.length }),
        fc.array(fc.nat({ max: firstWin.length - 1 }), { maxLength: 5 }),
        (events, replays) => {
          const { state } = feed(events)
          // Replaying events already in the history (what dedupe prevents) would still add nothing.
          const replayed = replays.reduce((s, i) => {
            const event = events[i]
            return event === undefined ? s : applyEvent(track, s, events, event).state
          }, state)
          const progress = toProgress(track, replayed)
          return progress.status === "completed" && progress.xp === 700 && replayed.marks === state.marks
        }
      )
    )
  })
})
