/**
 * `domain/Evidence.ts`: settling over the events it asks for gives what settling over the whole
 * history gives. Random tracks (every condition kind, filters, versions, prerequisites, optional
 * steps) fed random events (out of order, ties, other versions, non-matching payloads) and skips;
 * after each one the progress and the transitions must equal the whole-history ones exactly.
 * The queries are answered here the way `LearnerEventRepository.evidence` answers them in SQL
 * (`LearnerEvidence.test.ts` checks that SQL against real Postgres).
 */
import { assert, describe, it } from "@effect/vitest"
import type { Condition, EventMatcher } from "@tessera/contracts/learning-journey/Conditions"
import { TrackId } from "@tessera/contracts/learning-journey/Shared"
import type { Step } from "@tessera/contracts/learning-journey/Tracks"
import fc from "fast-check"
import { evidenceFor, type HistoryQuery, keyOf, wasSettled } from "../src/domain/Evidence.ts"
import {
  applyEvent,
  initial,
  isRelevant,
  type Outcome,
  type ProgressState,
  skip,
  type TrackLike
} from "../src/domain/LearnerProgress.ts"
import { answer, type Recorded } from "./support/Evidence.ts"

const HOUR = 3_600_000
const t0 = Date.parse("2025-01-20T09:00:00.000Z")

/** `Progression`'s loop, with the queries answered in memory. */
const withEvidence = <A>(
  history: ReadonlyArray<Recorded>,
  given: ReadonlyArray<Recorded>,
  run: (events: ReadonlyArray<Recorded>) => A,
  needs: (result: A) => ReadonlyArray<HistoryQuery>
): { readonly result: A; readonly fetched: number } => {
  const known = new Map(given.map((event) => [event.eventId, event]))
  const asked = new Set<string>()
  let result = run([...known.values()])
  let fetched = 0
  for (;;) {
    const missing = needs(result).filter((query) => !asked.has(keyOf(query)))
    if (missing.length === 0) return { result, fetched }
    for (const query of missing) {
      asked.add(keyOf(query))
      for (const event of answer(query, history)) known.set(event.eventId, event)
    }
    fetched += 1
    result = run([...known.values()])
  }
}

const matcherArb: fc.Arbitrary<EventMatcher> = fc
  .record({
    eventType: fc.constantFrom("deal.moved", "deal.won"),
    eventVersion: fc.constantFrom(1, 2),
    where: fc.option(fc.constantFrom({ kind: "x" }, { kind: "y" }, { n: 1 }, { kind: null }), { nil: undefined })
  })
  .map(({ where, ...rest }) => (where === undefined ? rest : { ...rest, where }))

const conditionArb: fc.Arbitrary<Condition> = fc.oneof(
  matcherArb.map((event): Condition => ({ kind: "event", event })),
  fc
    .record({
      event: matcherArb,
      atLeast: fc.integer({ min: 1, max: 4 }),
      within: fc.option(fc.integer({ min: 1, max: 30 }))
    })
    .map(
      ({ event, atLeast, within }): Condition =>
        within === null ? { kind: "count", event, atLeast } : { kind: "count", event, atLeast, withinHours: within }
    ),
  fc
    .record({
      event: matcherArb,
      from: fc.option(fc.integer({ min: 0, max: 20 })),
      length: fc.integer({ min: 1, max: 40 })
    })
    .map(
      ({ event, from, length }): Condition =>
        from === null
          ? { kind: "window", event, toHours: length }
          : { kind: "window", event, fromHours: from, toHours: from + length }
    )
)

const trackArb: fc.Arbitrary<TrackLike> = fc
  .array(
    fc.record({
      condition: conditionArb,
      xp: fc.integer({ min: 0, max: 100 }),
      required: fc.boolean(),
      prerequisites: fc.array(fc.nat(), { maxLength: 2 })
    }),
    { minLength: 1, maxLength: 5 }
  )
  .chain((drafts) =>
    fc
      .record({
        bonus: fc.integer({ min: 0, max: 50 }),
        streak: fc.option(fc.integer({ min: 2, max: 3 }))
      })
      .map(({ bonus, streak }): TrackLike => {
        const steps = drafts.map(
          (draft, i): Step => ({
            id: `s${i}`,
            title: `Step ${i}`,
            instructions: "",
            condition: draft.condition,
            xp: draft.xp,
            required: draft.required,
            prerequisites: i === 0 ? [] : [...new Set(draft.prerequisites.map((p) => `s${p % i}`))]
          })
        )
        return {
          id: TrackId.make("track_property"),
          steps,
          completion: { xpBonus: bonus, badge: "done" },
          streak: streak === null ? null : { days: streak, xpBonus: 10, badge: "streak" }
        }
      })
  )

type Action =
  | { readonly _tag: "Event"; readonly event: Omit<Recorded, "eventId"> }
  | { readonly _tag: "Skip"; readonly step: number; readonly hours: number }

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .record({
        eventType: fc.constantFrom("deal.moved", "deal.won", "task.completed"),
        eventVersion: fc.constantFrom(undefined, 1, 2),
        kind: fc.constantFrom("x", "y", null, undefined),
        n: fc.constantFrom(1, 2),
        hours: fc.integer({ min: 0, max: 120 })
      })
      .map(
        ({ eventType, eventVersion, kind, n, hours }): Action => ({
          _tag: "Event",
          event: {
            eventType,
            eventVersion,
            payload: kind === undefined ? { n } : { kind, n },
            occurredAt: new Date(t0 + hours * HOUR)
          }
        })
      )
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ step: fc.nat({ max: 4 }), hours: fc.integer({ min: 0, max: 120 }) })
      .map(({ step, hours }): Action => ({ _tag: "Skip", step, hours }))
  }
)

describe("Evidence", () => {
  it("property: settling over the evidence equals settling over the whole history, event by event and skip by skip", () => {
    fc.assert(
      fc.property(trackArb, fc.array(actionArb, { maxLength: 30 }), (track, actions) => {
        const history: Array<Recorded> = []
        let whole: ProgressState = initial(track.id, "u1")
        let bounded: ProgressState = initial(track.id, "u1")
        actions.forEach((action, n) => {
          if (action._tag === "Event") {
            const event: Recorded = { ...action.event, eventId: `e${n}` }
            history.push(event)
            const expected = applyEvent(track, whole, history, event)
            const before = bounded
            const got: Outcome =
              !isRelevant(track, event) || before.completedAt !== null
                ? applyEvent(track, before, [event], event)
                : withEvidence(
                    history,
                    [event],
                    (events) => applyEvent(track, before, events, event),
                    (result) => evidenceFor(track, before, result, event, wasSettled(before))
                  ).result
            assert.deepStrictEqual(got, expected)
            whole = expected.state
            bounded = got.state
          } else {
            const stepId = `s${action.step}`
            const at = new Date(t0 + action.hours * HOUR)
            const expected = skip(track, whole, history, stepId, at)
            const before = bounded
            const got = withEvidence(
              history,
              [],
              (events) => skip(track, before, events, stepId, at),
              (result) =>
                result._tag === "Refused" || result.state === before
                  ? []
                  : evidenceFor(track, before, result, undefined, false)
            ).result
            assert.deepStrictEqual(got, expected)
            if (expected._tag === "Skipped" && got._tag === "Skipped") {
              whole = expected.state
              bounded = got.state
            }
          }
        })
      }),
      { numRuns: 2000 }
    )
  })

  it("an event matching no available step reads nothing, whatever the history", () => {
    const moved: EventMatcher = { eventType: "deal.moved", eventVersion: 1 }
    const track: TrackLike = {
      id: TrackId.make("t"),
      steps: [
        {
          id: "a",
          title: "A",
          instructions: "",
          condition: { kind: "event", event: moved },
          xp: 1,
          prerequisites: [],
          required: true
        },
        {
          id: "b",
          title: "B",
          instructions: "",
          condition: { kind: "event", event: { eventType: "deal.won", eventVersion: 1 } },
          xp: 1,
          prerequisites: ["a"],
          required: true
        }
      ],
      completion: { xpBonus: 0, badge: null },
      streak: null
    }
    const event = (n: number, eventType: string): Recorded => ({
      eventId: `e${n}`,
      eventType,
      eventVersion: 1,
      payload: {},
      occurredAt: new Date(t0 + n * HOUR)
    })
    const history = Array.from({ length: 500 }, (_, n) => event(n, "deal.moved"))
    const first = applyEvent(track, initial(track.id, "u1"), history.slice(0, 1), event(0, "deal.moved"))
    assert.deepStrictEqual(first.state.marks.a?.status, "completed")
    const late = event(500, "deal.moved")
    const { result, fetched } = withEvidence(
      [...history, late],
      [late],
      (events) => applyEvent(track, first.state, events, late),
      (outcome) => evidenceFor(track, first.state, outcome, late, wasSettled(first.state))
    )
    assert.strictEqual(fetched, 0)
    assert.deepStrictEqual(result.transitions, [])
  })
})
