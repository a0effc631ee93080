/**
 * Keyset pagination cursors: the sort key of the last row of a page, as opaque base64url JSON.
 * Pages stay stable while rows are added, and every page is an index range scan.
 *
 * A cursor is checked before it reaches SQL: two strings without NUL characters, the sort key of
 * the list's kind (an ISO timestamp for lists by date, any name for lists by name). A forged one
 * is 400 INVALID_CURSOR, never a value the database has to refuse.
 */
import { InvalidCursor, Timestamp } from "@tessera/contracts/service-business/Shared"
import { Effect, Schema } from "effect"

const Text = Schema.String.check(
  Schema.isMaxLength(400),
  Schema.makeFilter((text) => !text.includes(String.fromCharCode(0)))
)

/** A timestamp whose calendar date exists (no 31 February). */
const Instant = Timestamp.check(
  Schema.makeFilter((text) => {
    const millis = Date.parse(text)
    return !Number.isNaN(millis) && new Date(millis).toISOString().slice(0, 10) === text.slice(0, 10)
  })
)

/** What a list sorts by: an instant, or a (lower-cased) name. */
export type SortKind = "timestamp" | "name"

const positions = {
  timestamp: Schema.fromJsonString(Schema.Tuple([Instant, Text])),
  name: Schema.fromJsonString(Schema.Tuple([Text, Text]))
}

export const encodeCursor = (sortKey: string, id: string): string =>
  Buffer.from(JSON.stringify([sortKey, id]), "utf8").toString("base64url")

/** The `[sortKey, id]` a cursor names; fails with `onInvalid` for anything this module did not produce. */
export const decodeCursor = <E>(cursor: string, kind: SortKind, onInvalid: () => E) =>
  Schema.decodeUnknownEffect(positions[kind])(Buffer.from(cursor, "base64url").toString("utf8")).pipe(
    Effect.mapError(onInvalid)
  )

/** Given `limit + 1` rows, the page and the cursor of the next one (null on the last page). */
export const paginate = <Row>(
  rows: ReadonlyArray<Row>,
  limit: number,
  keyOf: (row: Row) => readonly [string, string]
) => {
  const items = rows.slice(0, limit)
  const last = items.at(-1)
  return {
    items,
    nextCursor: rows.length > limit && last !== undefined ? encodeCursor(...keyOf(last)) : null
  }
}

/** A list operation's `cursor` input: no cursor is the first page; a foreign one is INVALID_CURSOR. */
export const afterCursor = (cursor: string | undefined, operation: string, kind: SortKind = "timestamp") =>
  cursor === undefined
    ? Effect.succeed(undefined)
    : decodeCursor(
        cursor,
        kind,
        () => new InvalidCursor({ cursor, detail: `This cursor was not issued by ${operation}.` })
      )
