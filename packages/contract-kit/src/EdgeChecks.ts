/**
 * What every contract's input must satisfy before its own schema sees it, checked once for all of
 * them: the kit's server runs `check` on every decoded JSON body and query string, so a new
 * contract inherits these guarantees without declaring anything.
 *
 * - strings (values and object keys) are what PostgreSQL and JSON accept: no NUL character
 *   (`text` and `jsonb` refuse it) and no unpaired UTF-16 surrogate (`jsonb` refuses it);
 * - a string spelled as an ISO 8601 date (`2026-02-28`) or timestamp (`2026-02-28T10:00:00Z`) is
 *   a real one (no February 30th, no 25:61);
 * - numbers are finite, and integers lie within JavaScript's safe range;
 * - values nest at most {@link MAX_DEPTH} levels (decoding and hashing are recursive).
 *
 * The schema helpers below say the same thing on one field, for contracts that want it visible in
 * their OpenAPI document (`Int32` for `integer` columns, `Timestamp`, `CalendarDate`).
 *
 * Definition-side module: no server, database or JWT code.
 */
import { Schema } from "effect"
import type { Issue } from "./internal/Issues.ts"

/** How deep objects and arrays may nest in an input. */
export const MAX_DEPTH = 32

const INT32_MAX = 2_147_483_647

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?([Zz]|[+-](\d{2}):?(\d{2}))?$/

const daysIn = (year: number, month: number): number =>
  month === 2
    ? year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
      ? 29
      : 28
    : [4, 6, 9, 11].includes(month)
      ? 30
      : 31

const realDay = (year: number, month: number, day: number): boolean =>
  year >= 1 && month >= 1 && month <= 12 && day >= 1 && day <= daysIn(year, month)

/** Whether `value`, when it is spelled as an ISO date or timestamp, names a real instant or day. */
export const isRealDateWhenDateLike = (value: string): boolean => {
  const date = DATE.exec(value)
  if (date !== null) return realDay(Number(date[1]), Number(date[2]), Number(date[3]))
  const time = TIMESTAMP.exec(value)
  if (time === null) return true
  const [, year, month, day, hour, minute, second, , offsetHours, offsetMinutes] = time
  return (
    realDay(Number(year), Number(month), Number(day)) &&
    Number(hour) <= 23 &&
    Number(minute) <= 59 &&
    Number(second ?? "0") <= 59 &&
    Number(offsetHours ?? "0") <= 14 &&
    Number(offsetMinutes ?? "0") <= 59
  )
}

/** Whether a string can be stored by PostgreSQL as `text` and inside `jsonb`. */
export const isStorableString = (value: string): boolean => !value.includes("\u0000") && value.isWellFormed()

const startsLikeDate = (value: string): boolean => {
  const first = value.charCodeAt(0)
  return value.length >= 10 && first >= 48 && first <= 57 && value.charCodeAt(4) === 45
}

const stringProblem = (value: string): string | undefined =>
  value.includes("\u0000")
    ? "Contains a NUL character"
    : !value.isWellFormed()
      ? "Contains an unpaired UTF-16 surrogate"
      : startsLikeDate(value) && !isRealDateWhenDateLike(value)
        ? "Is spelled as a date or timestamp but is not a real one"
        : undefined

/**
 * The problems of one JSON input value (from `JSON.parse` or a query string), each with its path;
 * empty when the value is acceptable. Stops at the first {@link MAX_DEPTH} violation on a branch.
 */
export const check = (value: unknown): ReadonlyArray<Issue> => {
  const issues: Array<Issue> = []
  // The path is built only when there is an issue to report (the walk runs on every call).
  type Trail = { readonly parent: Trail; readonly segment: string | number } | undefined
  const pathOf = (trail: Trail): ReadonlyArray<string | number> => {
    const path: Array<string | number> = []
    for (let at = trail; at !== undefined; at = at.parent) path.unshift(at.segment)
    return path
  }
  const walk = (node: unknown, trail: Trail, depth: number): void => {
    if (issues.length >= 20) return
    if (typeof node === "string") {
      const problem = stringProblem(node)
      if (problem !== undefined) issues.push({ path: pathOf(trail), message: problem })
      return
    }
    if (typeof node === "number") {
      if (!Number.isFinite(node)) issues.push({ path: pathOf(trail), message: "Is not a finite number" })
      else if (Number.isInteger(node) && !Number.isSafeInteger(node)) {
        issues.push({ path: pathOf(trail), message: "Is an integer outside the safe range (±9007199254740991)" })
      }
      return
    }
    if (node === null || typeof node !== "object") return
    if (depth >= MAX_DEPTH) {
      issues.push({ path: pathOf(trail), message: `Nests deeper than ${MAX_DEPTH} levels` })
      return
    }
    if (Array.isArray(node)) {
      for (let index = 0; index < node.length; index++) walk(node[index], { parent: trail, segment: index }, depth + 1)
      return
    }
    for (const key in node) {
      if (!Object.hasOwn(node, key)) continue
      const at = { parent: trail, segment: key }
      if (!isStorableString(key)) issues.push({ path: pathOf(at), message: "The property name is not storable" })
      walk(Reflect.get(node, key), at, depth + 1)
    }
  }
  walk(value, undefined, 0)
  return issues
}

/** A string PostgreSQL can store (no NUL, no unpaired surrogate): what `check` enforces everywhere. */
export const StorableString = Schema.String.check(
  Schema.makeFilter((value: string) => isStorableString(value) || "Contains a NUL character or an unpaired surrogate")
)

/** An integer that fits PostgreSQL's `integer` (int4): use it for any value stored in such a column. */
export const Int32 = Schema.Int.check(Schema.isBetween({ minimum: -INT32_MAX - 1, maximum: INT32_MAX }))

/** An instant as an ISO 8601 UTC string that names a real instant, e.g. `2025-01-21T09:00:00.000Z`. */
export const Timestamp = Schema.String.check(
  Schema.isPattern(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/),
  Schema.makeFilter((value: string) => isRealDateWhenDateLike(value) || "Not a real instant")
).pipe(Schema.annotate({ description: "ISO 8601 UTC timestamp" }))

/** A real calendar date, `YYYY-MM-DD`. */
export const CalendarDate = Schema.String.check(
  Schema.isPattern(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/),
  Schema.makeFilter((value: string) => isRealDateWhenDateLike(value) || "Not a real date")
).pipe(Schema.annotate({ description: "Calendar date, YYYY-MM-DD" }))
