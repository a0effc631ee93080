/**
 * Keyset pagination cursors, shared by every app's list operations: the sort key of the last row
 * of a page, as opaque base64url JSON. Pages stay stable while rows are added, and every page is
 * an index range scan.
 *
 * A cursor holds `[sortKey, id]` and is checked like any input before it reaches SQL: a real
 * instant (or a storable text) and a storable id. A forged cursor fails with the caller's own
 * error (each domain's `INVALID_CURSOR`, 400), never with a value the database has to refuse.
 */
import { Effect, Schema } from "effect"
import { StorableString, Timestamp } from "./EdgeChecks.ts"

/** What a list sorts by: an instant (`createdAt`, `dueAt`) or a text (a lower-cased name). */
export type SortKey = "instant" | "text"

const Id = StorableString.check(Schema.isMinLength(1), Schema.isMaxLength(64))

const decoders = {
  instant: Schema.decodeUnknownEffect(Schema.fromJsonString(Schema.Tuple([Timestamp, Id]))),
  text: Schema.decodeUnknownEffect(
    Schema.fromJsonString(Schema.Tuple([StorableString.check(Schema.isMaxLength(400)), Id]))
  )
}

export const encode = (sortKey: string, id: string): string =>
  Buffer.from(JSON.stringify([sortKey, id]), "utf8").toString("base64url")

/** The `[sortKey, id]` a cursor names; fails with `onInvalid` for anything `encode` did not produce. */
export const decode = <E>(cursor: string, onInvalid: () => E, sortKey: SortKey = "instant") =>
  decoders[sortKey](Buffer.from(cursor, "base64url").toString("utf8")).pipe(Effect.mapError(onInvalid))

/** A list operation's `cursor` input: none is the first page; one this module did not issue fails with `onInvalid`. */
export const after = <E>(cursor: string | undefined, onInvalid: (cursor: string) => E, sortKey: SortKey = "instant") =>
  cursor === undefined ? Effect.succeed(undefined) : decode(cursor, () => onInvalid(cursor), sortKey)

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
    nextCursor: rows.length > limit && last !== undefined ? encode(...keyOf(last)) : null
  }
}
