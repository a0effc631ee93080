/**
 * What settling a track needs to read of a learner's history, so that a new event costs the same
 * whatever the learner did before. Pure: it says which events to fetch; the caller fetches them
 * and settles over what it fetched (`applyEvent`, `skip`) instead of over the whole history.
 *
 * Why it is enough. Conditions only grow true as events are added, and `settle` evaluates the
 * steps that are available. So a settle over *some* of the learner's events decides every step
 * it evaluates as the whole history would, provided that for each such step the fetched events
 * hold a proof of its condition whenever the whole history does. A step found true is true over
 * the whole history too; a step found false stays available to the end of the settle, so the
 * proofs needed are those of the steps still available after it:
 *
 * - a step that becomes available in this settle (or any step, when the progress was never
 *   settled or `settled` is false) is proved from scratch: one matching event, the first
 *   `atLeast` matching events, one matching event inside the window, or the events of one run;
 * - a step that was available before this event was false over everything the learner had done
 *   (every earlier event that matches it advanced this track and settled it; the caller passes
 *   `settled: false` when that is not so — an event recorded for another track only). Only
 *   this event can make it true: nothing to read when the event does not match it, or when the
 *   condition is one matching event or a window (the event itself is given); for a count, the
 *   first `atLeast` matching events; for a count within hours, the matching events within that
 *   many hours of this one (a run made true now contains this event).
 *
 * A settle over the fetched events may make steps available that nothing was fetched for; the
 * caller fetches what `evidenceFor` asks of the new outcome and settles again, until it asks
 * nothing new (at most once per step).
 */
import type { Condition, EventMatcher } from "@tessera/contracts/learning-journey/Conditions"
import type { Track } from "@tessera/contracts/learning-journey/Tracks"
import { statusOf } from "./Availability.ts"
import { type LearnerEvent, matches } from "./Conditions.ts"
import type { Outcome, ProgressState } from "./LearnerProgress.ts"

const HOUR_MS = 3_600_000

/** Events of the learner to fetch: each query's rows match `matcher`. */
export type HistoryQuery =
  /** Up to `limit` matching events (any of them). */
  | { readonly _tag: "Matching"; readonly matcher: EventMatcher; readonly limit: number }
  /** Matching events that occurred between `from` and `to` (inclusive), up to `limit` when given. */
  | {
      readonly _tag: "Between"
      readonly matcher: EventMatcher
      readonly from: Date
      readonly to: Date
      readonly limit: number | undefined
    }
  /** `atLeast` matching events inside one span of `spanMs`, if the learner has such a run; none otherwise. */
  | { readonly _tag: "Run"; readonly matcher: EventMatcher; readonly atLeast: number; readonly spanMs: number }

/** A key equal for equal queries: what was fetched once is not fetched again. */
export const keyOf = (query: HistoryQuery): string => {
  switch (query._tag) {
    case "Matching":
      return JSON.stringify([query._tag, query.matcher, query.limit])
    case "Between":
      return JSON.stringify([query._tag, query.matcher, query.from.getTime(), query.to.getTime(), query.limit ?? null])
    case "Run":
      return JSON.stringify([query._tag, query.matcher, query.atLeast, query.spanMs])
  }
}

/** What proves `condition` over the whole history, for a learner who started at `startedAt`. */
const fromScratch = (condition: Condition, startedAt: Date | null): HistoryQuery | undefined => {
  switch (condition.kind) {
    case "event":
      return { _tag: "Matching", matcher: condition.event, limit: 1 }
    case "count":
      return condition.withinHours === undefined
        ? { _tag: "Matching", matcher: condition.event, limit: condition.atLeast }
        : {
            _tag: "Run",
            matcher: condition.event,
            atLeast: condition.atLeast,
            spanMs: condition.withinHours * HOUR_MS
          }
    case "window":
      return startedAt === null
        ? undefined
        : {
            _tag: "Between",
            matcher: condition.event,
            from: new Date(startedAt.getTime() + (condition.fromHours ?? 0) * HOUR_MS),
            to: new Date(startedAt.getTime() + condition.toHours * HOUR_MS),
            limit: 1
          }
  }
}

/** What proves `condition`, false before `event`, true now (`event` itself is given). */
const sinceLast = (condition: Condition, event: LearnerEvent | undefined): HistoryQuery | undefined => {
  if (event === undefined || !matches(condition.event, event)) return undefined
  switch (condition.kind) {
    case "event":
    case "window":
      return undefined
    case "count":
      return condition.withinHours === undefined
        ? { _tag: "Matching", matcher: condition.event, limit: condition.atLeast }
        : {
            _tag: "Between",
            matcher: condition.event,
            from: new Date(event.occurredAt.getTime() - condition.withinHours * HOUR_MS),
            to: new Date(event.occurredAt.getTime() + condition.withinHours * HOUR_MS),
            limit: undefined
          }
  }
}

/**
 * The queries whose rows (with `event`, when given) decide every step `outcome`'s settle
 * left available as the learner's whole history would. `before` is the stored progress the outcome
 * came from; `settled` whether every step available in it is known false over the learner's
 * events recorded before `event` (the progress was settled before and no event escaped it).
 */
export const evidenceFor = (
  track: Pick<Track, "steps">,
  before: ProgressState,
  outcome: Outcome,
  event: LearnerEvent | undefined,
  settled: boolean
): ReadonlyArray<HistoryQuery> => {
  if (before.completedAt !== null) return []
  const queries: Array<HistoryQuery> = []
  // A step the settle found true is true over the whole history too (conditions only grow true
  // with events); one it found false is still available at the end: only those need proof.
  for (const step of track.steps) {
    if (statusOf(step, outcome.state.marks) !== "available") continue
    const query =
      settled && statusOf(step, before.marks) === "available"
        ? sinceLast(step.condition, event)
        : fromScratch(step.condition, outcome.state.startedAt)
    if (query !== undefined) queries.push(query)
  }
  return queries
}

/** Whether the progress was settled against the learner's events before (it started: an event or a skip settled it). */
export const wasSettled = (state: ProgressState): boolean => state.startedAt !== null
