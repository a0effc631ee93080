/**
 * Evaluating step completion conditions against a learner's events. Pure: the events are given,
 * nothing is read or stored here.
 */
import type { Condition, EventMatcher } from "@tessera/contracts/learning-journey/Conditions"

const HOUR_MS = 3_600_000

/** One event of a learner, as the learning journey records it. */
export interface LearnerEvent {
  readonly eventType: string
  /** `undefined` when the recorder did not say (it then matches steps written against any version). */
  readonly eventVersion: number | undefined
  /** The payload in its JSON form. */
  readonly payload: { readonly [field: string]: unknown }
  readonly occurredAt: Date
}

/**
 * Whether the event is of the matcher's type, at the matcher's version or a later one, and its
 * payload fields equal the filter's. A later version is reached from the matcher's through the
 * registry's upcasters, which keep the older version's fields (`deal.won` v2 is v1 plus fields):
 * a step written against `deal.won` v1 is still completed by the v2 events the CRM now emits. A
 * filter on a field a later version dropped simply does not match.
 */
export const matches = (matcher: EventMatcher, event: LearnerEvent): boolean =>
  matcher.eventType === event.eventType &&
  (event.eventVersion === undefined || event.eventVersion >= matcher.eventVersion) &&
  Object.entries(matcher.where ?? {}).every(
    ([field, value]) => Object.hasOwn(event.payload, field) && event.payload[field] === value
  )

/** The occurrence times (ms) of the events matching `matcher`, ascending. */
const matchingTimes = (matcher: EventMatcher, history: ReadonlyArray<LearnerEvent>): ReadonlyArray<number> =>
  history
    .filter((event) => matches(matcher, event))
    .map((event) => event.occurredAt.getTime())
    .sort((a, b) => a - b)

/** Whether `times` (ascending) holds `atLeast` values inside one span of `spanMs`. */
export const hasRun = (times: ReadonlyArray<number>, atLeast: number, spanMs: number): boolean => {
  for (let i = 0; i + atLeast - 1 < times.length; i++) {
    const first = times[i]
    const last = times[i + atLeast - 1]
    if (first !== undefined && last !== undefined && last - first <= spanMs) return true
  }
  return false
}

/**
 * Whether `condition` holds over `history` (every event of the learner the journey knows,
 * in any order), for a learner who started the track at `startedAt`.
 */
export const isSatisfied = (
  condition: Condition,
  history: ReadonlyArray<LearnerEvent>,
  startedAt: Date | undefined
): boolean => {
  switch (condition.kind) {
    case "event":
      return history.some((event) => matches(condition.event, event))
    case "count": {
      const times = matchingTimes(condition.event, history)
      return condition.withinHours === undefined
        ? times.length >= condition.atLeast
        : hasRun(times, condition.atLeast, condition.withinHours * HOUR_MS)
    }
    case "window": {
      if (startedAt === undefined) return false
      const from = startedAt.getTime() + (condition.fromHours ?? 0) * HOUR_MS
      const to = startedAt.getTime() + condition.toHours * HOUR_MS
      return matchingTimes(condition.event, history).some((time) => time >= from && time <= to)
    }
  }
}
