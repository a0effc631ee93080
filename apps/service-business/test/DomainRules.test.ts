/**
 * The domain rules, pure — money:  per-line tax in basis points rounded half up, totals as exact sums, and
 * refusal of any amount past the safe range — never a float in between; the job lifecycle table; invoice number formatting.
 */
import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import { formatNumber } from "../src/domain/InvoiceNumbers.ts"
import { canApply } from "../src/domain/JobRules.ts"
import { taxOf, totalsOf } from "../src/domain/Money.ts"

const line = (unitPriceMinor: number, quantity = 1, taxRateBps = 0) => ({
  description: "x",
  quantity,
  unitPriceMinor,
  taxRateBps
})

describe("Money", () => {
  it("rounds each line's tax half up: exactly the nearest integer of net × bps / 10000, .5 upwards", () => {
    for (let net = 0; net <= 2000; net += 7) {
      for (const bps of [0, 1, 550, 700, 1999, 2000, 2500, 9999, 10_000]) {
        const exact = (net * bps) / 10_000
        const expected = Math.floor(exact) + (exact - Math.floor(exact) >= 0.5 ? 1 : 0)
        assert.strictEqual(Number(taxOf(BigInt(net), bps)), expected, `${net} at ${bps} bp`)
      }
    }
    assert.strictEqual(taxOf(5n, 1000), 1n) // 0.5 → 1
    assert.strictEqual(taxOf(4n, 1000), 0n) // 0.4 → 0
    assert.strictEqual(taxOf(5997n, 550), 330n) // 329.835 → 330
  })

  it("totals are the sums of the lines' amounts, exact up to 2^53 − 1", () => {
    const totals = totalsOf([line(12_000, 1, 2000), line(1999, 3, 550)])
    assert.isTrue(Result.isSuccess(totals))
    if (Result.isSuccess(totals)) {
      assert.strictEqual(totals.success.subtotalMinor, 17_997)
      assert.strictEqual(totals.success.taxMinor, 2730)
      assert.strictEqual(totals.success.totalMinor, 20_727)
    }
    const top = totalsOf([line(Number.MAX_SAFE_INTEGER - 1), line(1)])
    assert.isTrue(Result.isSuccess(top) && top.success.totalMinor === Number.MAX_SAFE_INTEGER)
  })

  it("refuses a line or a document past the safe range, naming the amount", () => {
    const lineTooLarge = totalsOf([line(Number.MAX_SAFE_INTEGER, 2)])
    assert.deepStrictEqual(
      Result.isFailure(lineTooLarge) ? lineTooLarge.failure.field : undefined,
      "lines[0].totalMinor"
    )
    const taxTooLarge = totalsOf([line(Number.MAX_SAFE_INTEGER, 1, 1)])
    assert.isTrue(Result.isFailure(taxTooLarge))
    const sumTooLarge = totalsOf([line(Number.MAX_SAFE_INTEGER), line(1)])
    assert.deepStrictEqual(Result.isFailure(sumTooLarge) ? sumTooLarge.failure.field : undefined, "totalMinor")
  })
})

describe("JobRules", () => {
  it("allows exactly the lifecycle's moves", () => {
    const table = {
      scheduled: ["start", "complete", "cancel", "reschedule", "assign"],
      in_progress: ["complete", "cancel", "assign"],
      completed: [],
      cancelled: []
    } as const
    for (const [status, allowed] of Object.entries(table)) {
      for (const action of ["start", "complete", "cancel", "reschedule", "assign"] as const) {
        const expected = (allowed as ReadonlyArray<string>).includes(action)
        assert.strictEqual(canApply(status as keyof typeof table, action), expected, `${action} when ${status}`)
      }
    }
  })
})

describe("InvoiceNumbers", () => {
  it("pads the sequence to four digits and grows past 9999", () => {
    assert.strictEqual(formatNumber(2026, 1), "INV-2026-0001")
    assert.strictEqual(formatNumber(2026, 9999), "INV-2026-9999")
    assert.strictEqual(formatNumber(2026, 10_000), "INV-2026-10000")
  })
})
