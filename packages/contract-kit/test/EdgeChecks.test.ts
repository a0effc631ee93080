import { assert, describe, it } from "@effect/vitest"
import { Schema } from "effect"
import * as EdgeChecks from "../src/EdgeChecks.ts"

describe("EdgeChecks", () => {
  it("accepts ordinary JSON, real dates and safe integers", () => {
    assert.deepStrictEqual(
      EdgeChecks.check({
        name: "Ada 😀",
        at: "2024-02-29T23:59:59.999Z",
        day: "2026-12-31",
        amount: Number.MAX_SAFE_INTEGER,
        ratio: 0.5,
        tags: ["a", { b: null }],
        "2026-02-30 is just a key": true
      }),
      []
    )
  })

  it("names what PostgreSQL or JSON would refuse, with its path", () => {
    const issues = EdgeChecks.check({
      id: "a\u0000b",
      note: { text: "\ud800" },
      at: ["2026-02-30T25:61:00Z"],
      day: "2025-02-29",
      big: 2 ** 53 + 2,
      "k\u0000": 1
    })
    assert.deepStrictEqual(
      issues.map((issue) => issue.path.join(".")),
      ["id", "note.text", "at.0", "day", "big", "k\u0000"]
    )
  })

  it("bounds nesting at MAX_DEPTH levels without recursing through a hostile payload", () => {
    let deep: unknown = "leaf"
    for (let i = 0; i < 5000; i++) deep = [deep]
    const issues = EdgeChecks.check({ deep })
    assert.strictEqual(issues.length, 1)
    assert.include(issues[0]?.message ?? "", `${EdgeChecks.MAX_DEPTH} levels`)
    let ok: unknown = 1
    for (let i = 0; i < EdgeChecks.MAX_DEPTH - 1; i++) ok = [ok]
    assert.deepStrictEqual(EdgeChecks.check(ok), [])
  })

  it("the per-field schemas say the same: Int32, Timestamp, CalendarDate, StorableString", () => {
    assert.isTrue(Schema.is(EdgeChecks.Int32)(2_147_483_647))
    assert.isFalse(Schema.is(EdgeChecks.Int32)(2_147_483_648))
    assert.isTrue(Schema.is(EdgeChecks.Timestamp)("2025-01-21T09:00:00.000Z"))
    assert.isFalse(Schema.is(EdgeChecks.Timestamp)("2025-02-30T09:00:00.000Z"))
    assert.isTrue(Schema.is(EdgeChecks.CalendarDate)("2024-02-29"))
    assert.isFalse(Schema.is(EdgeChecks.CalendarDate)("2023-02-29"))
    assert.isFalse(Schema.is(EdgeChecks.StorableString)("\udc00"))
  })
})
