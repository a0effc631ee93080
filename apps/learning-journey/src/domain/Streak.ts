/**
 * Streaks: activity on consecutive calendar days (UTC). Pure functions over `YYYY-MM-DD` days.
 */

export interface StreakState {
  /** Consecutive active days ending on `lastActiveDay`. */
  readonly current: number
  readonly longest: number
  readonly lastActiveDay: string | null
}

export const empty: StreakState = { current: 0, longest: 0, lastActiveDay: null }

const DAY_MS = 86_400_000

/** The UTC calendar day of an instant. */
export const dayOf = (instant: Date): string => instant.toISOString().slice(0, 10)

/** Days since 1970-01-01 of a `YYYY-MM-DD` day. */
export const dayNumber = (day: string): number => Math.floor(Date.parse(`${day}T00:00:00.000Z`) / DAY_MS)

/**
 * Records activity on `day`. The same day again changes nothing; the next day extends the run;
 * a later day after a gap starts a new run of 1. A day before the last active day (an event
 * recorded late) changes nothing: a streak only moves forward.
 */
export const record = (state: StreakState, day: string): StreakState => {
  if (state.lastActiveDay === null) return { current: 1, longest: Math.max(1, state.longest), lastActiveDay: day }
  const gap = dayNumber(day) - dayNumber(state.lastActiveDay)
  if (gap <= 0) return state
  const current = gap === 1 ? state.current + 1 : 1
  return { current, longest: Math.max(state.longest, current), lastActiveDay: day }
}

/** The longest run of consecutive days among `days` (duplicates and order do not matter). */
export const longestRun = (days: Iterable<string>): number => {
  const numbers = [...new Set([...days].map(dayNumber))].sort((a, b) => a - b)
  let longest = 0
  let run = 0
  let previous: number | undefined
  for (const day of numbers) {
    run = previous !== undefined && day === previous + 1 ? run + 1 : 1
    longest = Math.max(longest, run)
    previous = day
  }
  return longest
}
