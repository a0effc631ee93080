/**
 * Running a catalog's acceptance examples as written (each app's `test/AcceptanceExamples.test.ts`):
 * the examples with their contracts, and an answer with what the server generates — timestamps of
 * now, new ids, and whatever else a domain says — replaced by the example's values where it has the
 * right form, so the rest must equal the example's output exactly.
 */
import type { AnyContract } from "@tessera/contract-kit/Contract"

/** Every example of every contract of the catalog, with its contract. */
export const examplesOf = (catalog: ReadonlyArray<AnyContract>) =>
  catalog.flatMap((contract) => contract.acceptance.examples.map((example) => ({ contract, example })))

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/

/** An id the server generates: one of the prefixes, `_`, a UUIDv7. */
export const generatedId = (prefixes: ReadonlyArray<string>) =>
  new RegExp(`^(${prefixes.join("|")})_[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

export interface NormalizeOptions {
  /** The domain's generated ids (`generatedId([...])`), replaced where they stand under an `id` key. */
  readonly ids: RegExp
  /** Another generated string the example's value replaces (e.g. an invoice number's year). */
  readonly generated?: ((key: string | undefined, actual: string, expected: string) => boolean) | undefined
}

const isRecord = (value: unknown): value is Readonly<Record<string, unknown>> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** `actual` with generated timestamps and ids (and `generated` strings) replaced by `expected`'s values. */
export const normalizer = (options: NormalizeOptions) => {
  const normalize = (actual: unknown, expected: unknown, key?: string): unknown => {
    if (typeof expected === "string" && typeof actual === "string") {
      if (TIMESTAMP.test(expected) && TIMESTAMP.test(actual)) return expected
      if (key === "id" && options.ids.test(actual)) return expected
      if (options.generated?.(key, actual, expected) === true) return expected
      return actual
    }
    if (Array.isArray(expected) && Array.isArray(actual)) return actual.map((item, i) => normalize(item, expected[i]))
    if (isRecord(expected) && isRecord(actual)) {
      return Object.fromEntries(Object.entries(actual).map(([k, v]) => [k, normalize(v, expected[k], k)]))
    }
    return actual
  }
  return (actual: unknown, expected: unknown) => normalize(actual, expected)
}
