import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import * as EventIds from "../src/EventIds.ts"

const take = (n: number) =>
  Effect.flatMap(EventIds.EventIds, (ids) => Effect.all(Array.from({ length: n }, () => ids.next)))

describe("EventIds", () => {
  it.effect("generates UUIDv7 ids that encode the Clock's milliseconds", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(Date.parse("2026-11-21T06:00:00.123Z"))
      const [id] = yield* take(1)
      assert.isDefined(id)
      assert.isTrue(EventIds.isUuidV7(id ?? ""), id)
      assert.strictEqual(EventIds.timestampOf(id ?? ""), Date.parse("2026-11-21T06:00:00.123Z"))
    }).pipe(Effect.provide(EventIds.EventIds.layer))
  )

  it.effect("is strictly increasing within one millisecond and across a clock step back", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(1_800_000_000_000)
      const first = yield* take(5000)
      yield* TestClock.setTime(1_700_000_000_000) // the clock steps back
      const second = yield* take(10)
      const all = [...first, ...second]
      for (let i = 1; i < all.length; i++) {
        assert.isTrue((all[i - 1] ?? "") < (all[i] ?? ""), `${all[i - 1]} < ${all[i]}`)
      }
      assert.strictEqual(new Set(all).size, all.length)
      assert.isTrue(all.every(EventIds.isUuidV7))
    }).pipe(Effect.provide(EventIds.EventIds.layer))
  )

  it.effect("is reproducible with the deterministic layer", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(1_800_000_000_000)
      const ids = yield* take(3)
      assert.deepStrictEqual(ids, [
        "01a3185c-5000-7000-8000-000000000001",
        "01a3185c-5000-7000-8000-000000000002",
        "01a3185c-5000-7000-8000-000000000003"
      ])
    }).pipe(Effect.provide(EventIds.EventIds.layerDeterministic))
  )
})
