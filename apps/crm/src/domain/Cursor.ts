/**
 * Keyset pagination cursors: the sort key of the last row of a page, as opaque base64url JSON.
 * Pages stay stable while rows are added, and every page is an index range scan.
 */
import { StorableString, Timestamp } from "@tessera/contract-kit/EdgeChecks"
import { InvalidCursor } from "@tessera/contracts/crm/Shared"
import { Effect, Schema } from "effect"

/** What a list sorts by: an instant (`createdAt`, `dueAt`) or a text (a lower-cased name). */
export type SortKey = "instant" | "text"

/**
 * A cursor holds `[sortKey, id]`, checked like any input before it reaches SQL: a real instant (or
 * a storable text) and a storable id. A forged cursor is INVALID_CURSOR (400), never a database error.
 */
const positions = {
  instant: Schema.Tuple([Timestamp, StorableString.check(Schema.isMinLength(1), Schema.isMaxLength(64))]),
  text: Schema.Tuple([
    StorableString.check(Schema.isMaxLength(400)),
    StorableString.check(Schema.isMinLength(1), Schema.isMaxLength(64))
  ])
}
const decoders = {
  instant: Schema.decodeUnknownEffect(Schema.fromJsonString(positions.instant)),
  text: Schema.decodeUnknownEffect(Schema.fromJsonString(positions.text))
}

export const encodeCursor = (sortKey: string, id: string): string =>
  Buffer.from(JSON.stringify([sortKey, id]), "utf8").toString("base64url")

/** The `[sortKey, id]` a cursor names; fails with `onInvalid` for anything this module did not produce. */
export const decodeCursor = <E>(cursor: string, onInvalid: () => E, sortKey: SortKey = "instant") =>
  decoders[sortKey](Buffer.from(cursor, "base64url").toString("utf8")).pipe(Effect.mapError(onInvalid))

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
export const afterCursor = (cursor: string | undefined, operation: string, sortKey: SortKey = "instant") =>
  cursor === undefined
    ? Effect.succeed(undefined)
    : decodeCursor(
        cursor,
        () => new InvalidCursor({ cursor, detail: `This cursor was not issued by ${operation}.` }),
        sortKey
      )
