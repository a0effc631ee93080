/**
 * Keyset pagination cursors: the sort key of the last row of a page, as opaque base64url JSON.
 * Pages stay stable while rows are added, and every page is an index range scan.
 */
import { InvalidCursor } from "@tessera/contracts/service-business/Shared"
import { Effect, Schema } from "effect"

const Position = Schema.Tuple([Schema.String, Schema.String])
const decodePosition = Schema.decodeUnknownEffect(Schema.fromJsonString(Position))

export const encodeCursor = (sortKey: string, id: string): string =>
  Buffer.from(JSON.stringify([sortKey, id]), "utf8").toString("base64url")

/** The `[sortKey, id]` a cursor names; fails with `onInvalid` for anything this module did not produce. */
export const decodeCursor = <E>(cursor: string, onInvalid: () => E) =>
  decodePosition(Buffer.from(cursor, "base64url").toString("utf8")).pipe(Effect.mapError(onInvalid))

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
export const afterCursor = (cursor: string | undefined, operation: string) =>
  cursor === undefined
    ? Effect.succeed(undefined)
    : decodeCursor(cursor, () => new InvalidCursor({ cursor, detail: `This cursor was not issued by ${operation}.` }))
