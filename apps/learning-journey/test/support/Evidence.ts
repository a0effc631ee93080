/**
 * `LearnerEventRepository.evidence`'s answers computed in memory: the reference the property test
 * of `domain/Evidence.ts` answers its queries with, and the SQL is checked against.
 */
import { type LearnerEvent, matches } from "../../src/domain/Conditions.ts"
import type { HistoryQuery } from "../../src/domain/Evidence.ts"

export interface Recorded extends LearnerEvent {
  readonly eventId: string
}

/** What `LearnerEventRepository.evidence` returns for `query` (any `limit` rows: here the last recorded). */
export const answer = (query: HistoryQuery, history: ReadonlyArray<Recorded>): ReadonlyArray<Recorded> => {
  const matching = history.filter((event) => matches(query.matcher, event)).reverse()
  switch (query._tag) {
    case "Matching":
      return matching.slice(0, query.limit)
    case "Between": {
      const inside = matching.filter(
        (event) =>
          event.occurredAt.getTime() >= query.from.getTime() && event.occurredAt.getTime() <= query.to.getTime()
      )
      return query.limit === undefined ? inside : inside.slice(0, query.limit)
    }
    case "Run": {
      const sorted = [...matching].sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime())
      for (let i = 0; i + query.atLeast - 1 < sorted.length; i++) {
        const first = sorted[i]
        const last = sorted[i + query.atLeast - 1]
        if (first === undefined || last === undefined) continue
        if (last.occurredAt.getTime() - first.occurredAt.getTime() <= query.spanMs) {
          return sorted
            .filter((event) => event.occurredAt.getTime() >= first.occurredAt.getTime())
            .slice(0, query.atLeast)
        }
      }
      return []
    }
  }
}
