import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { decode as decodeCursor, encode as encodeCursor, paginate } from "../src/Cursor.ts"

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

  it.effect("rejects forged cursors before they reach SQL: impossible instants, NUL, unpaired surrogates", () =>
    Effect.gen(function* () {
      for (const [key, id] of [
        ["not-a-time", "x"],
        ["2026-02-30T25:61:00.000Z", "x"],
        ["2025-01-20T09:00:00.000Z", "a\u0000b"],
        ["2025-01-20T09:00:00.000Z", "\ud800"],
        ["2025-01-20T09:00:00.000Z", ""]
      ] as const) {
        const forged = Buffer.from(JSON.stringify([key, id])).toString("base64")
        assert.strictEqual(yield* Effect.flip(decodeCursor(forged, () => "invalid" as const)), "invalid", key)
      }
      // A name-sorted list's cursor holds text, still storable.
      const byName = encodeCursor("acme corp", "company_1")
      assert.deepStrictEqual(yield* decodeCursor(byName, () => "invalid", "text"), ["acme corp", "company_1"])
      const nul = Buffer.from(JSON.stringify(["a\u0000", "company_1"])).toString("base64url")
      assert.strictEqual(yield* Effect.flip(decodeCursor(nul, () => "invalid" as const, "text")), "invalid")
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
