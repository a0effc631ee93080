import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { decodeCursor, encodeCursor, paginate } from "../src/domain/Cursor.ts"

describe("Cursor", () => {
  it.effect("round-trips the sort key of the last row", () =>
    Effect.gen(function* () {
      const cursor = encodeCursor("2025-01-20T09:00:00.000Z", "deal_1")
      assert.deepStrictEqual(yield* decodeCursor(cursor, () => "invalid"), ["2025-01-20T09:00:00.000Z", "deal_1"])
    })
  )

  it.effect("rejects what it did not produce", () =>
    Effect.gen(function* () {
      for (const cursor of [
        "not-base64-json",
        Buffer.from("[1,2]").toString("base64url"),
        Buffer.from("{}").toString("base64url")
      ]) {
        assert.strictEqual(yield* Effect.flip(decodeCursor(cursor, () => "invalid" as const)), "invalid")
      }
    })
  )

  it("pages limit+1 rows into a page and the next cursor", () => {
    const rows = [1, 2, 3].map((n) => ({ key: `k${n}`, id: `id${n}` }))
    const page = paginate(rows, 2, (row) => [row.key, row.id])
    assert.deepStrictEqual(page.items, rows.slice(0, 2))
    assert.strictEqual(page.nextCursor, encodeCursor("k2", "id2"))
    assert.isNull(paginate(rows, 3, (row) => [row.key, row.id]).nextCursor)
  })
})
