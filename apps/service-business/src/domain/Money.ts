/**
 * Line and document totals, exactly, in integers. Pure.
 *
 * - A line's net is quantity × unit price.
 * - A line's tax is net × rate (basis points) / 10 000, rounded half up to the minor unit
 *   (amounts are never negative, so half up is half away from zero): 5997 at 550 bp is 329.835 → 330.
 * - A document's subtotal, tax and total are the sums of its lines' (tax is rounded per line,
 *   never on the sum, so every line reads the same on its own as on the document).
 *
 * Every step runs on `bigint`; a result that would not fit in `Number.MAX_SAFE_INTEGER` is
 * refused (`TooLarge`, naming the amount), so every amount that leaves is an exact JSON integer.
 */
import type { Line, LineInput } from "@tessera/contracts/service-business/Shared"
import { Result } from "effect"

const MAX = BigInt(Number.MAX_SAFE_INTEGER)
const BPS = 10_000n

export interface Totals {
  readonly lines: ReadonlyArray<Line>
  readonly subtotalMinor: number
  readonly taxMinor: number
  readonly totalMinor: number
}

export interface TooLarge {
  readonly _tag: "TooLarge"
  /** Which amount overflowed, e.g. `lines[2].netMinor` or `totalMinor`. */
  readonly field: string
}

/** Tax of a net amount at `bps`, rounded half up. */
export const taxOf = (net: bigint, bps: number): bigint => (net * BigInt(bps) * 2n + BPS) / (2n * BPS)

/** The lines with their amounts and the document's totals, or which amount is too large. */
export const totalsOf = (inputs: ReadonlyArray<LineInput>): Result.Result<Totals, TooLarge> => {
  const lines: Array<Line> = []
  let subtotal = 0n
  let tax = 0n
  for (const [index, input] of inputs.entries()) {
    const net = BigInt(input.quantity) * BigInt(input.unitPriceMinor)
    const lineTax = taxOf(net, input.taxRateBps)
    const total = net + lineTax
    if (total > MAX) return Result.fail({ _tag: "TooLarge", field: `lines[${index}].totalMinor` })
    subtotal += net
    tax += lineTax
    lines.push({ ...input, netMinor: Number(net), taxMinor: Number(lineTax), totalMinor: Number(total) })
  }
  if (subtotal + tax > MAX) return Result.fail({ _tag: "TooLarge", field: "totalMinor" })
  return Result.succeed({
    lines,
    subtotalMinor: Number(subtotal),
    taxMinor: Number(tax),
    totalMinor: Number(subtotal + tax)
  })
}
