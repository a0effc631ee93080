import { assert, describe, it } from "@effect/vitest"
import fc from "fast-check"
import * as Streak from "../src/domain/Streak.ts"

const DAY_MS = 86_400_000
const base = Date.parse("2025-01-01T00:00:00.000Z")
const day = (n: number) => new Date(base + n * DAY_MS).toISOString().slice(0, 10)
const fold = (days: ReadonlyArray<string>) => days.reduce(Streak.record, Streak.empty)

describe("Streak", () => {
  it("counts consecutive days, restarts after a gap, ignores repeats and late days", () => {
    assert.deepStrictEqual(fold([day(0), day(1), day(2)]), { current: 3, longest: 3, lastActiveDay: day(2) })
    assert.deepStrictEqual(fold([day(0), day(1), day(3)]), { current: 1, longest: 2, lastActiveDay: day(3) })
    assert.deepStrictEqual(fold([day(0), day(0), day(1)]), { current: 2, longest: 2, lastActiveDay: day(1) })
    assert.deepStrictEqual(fold([day(5), day(4)]), { current: 1, longest: 1, lastActiveDay: day(5) })
  })

  it("days are UTC calendar days", () => {
    assert.strictEqual(Streak.dayOf(new Date("2025-03-01T23:59:59.999Z")), "2025-03-01")
    assert.strictEqual(Streak.dayNumber("2025-03-02") - Streak.dayNumber("2025-02-28"), 2)
  })

  const days = fc.array(fc.integer({ min: 0, max: 60 }), { maxLength: 40 })

  it("property: recording days in order gives the longest run of consecutive days", () => {
    fc.assert(
      fc.property(days, (ns) => {
        const sorted = [...ns].sort((a, b) => a - b).map(day)
        return fold(sorted).longest === Streak.longestRun(sorted)
      })
    )
  })

  it("property: current never exceeds longest, and longest never exceeds the longest run", () => {
    fc.assert(
      fc.property(days, (ns) => {
        const state = fold(ns.map(day))
        return state.current <= state.longest && state.longest <= Streak.longestRun(ns.map(day))
      })
    )
  })

  it("property: recording the last active day again changes nothing", () => {
    fc.assert(
      fc.property(days, (ns) => {
        const state = fold(ns.map(day))
        return state.lastActiveDay === null || Streak.record(state, state.lastActiveDay) === state
      })
    )
  })

  it("property: n consecutive days make a streak of n", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 1, max: 60 }), (start, n) => {
        const state = fold(Array.from({ length: n }, (_, i) => day(start + i)))
        return state.current === n && state.longest === n
      })
    )
  })
})
