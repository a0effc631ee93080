/**
 * The list operations' cursors (see `@tessera/contract-kit/Cursor`), failing with this domain's
 * `INVALID_CURSOR` (400) for a cursor the operation did not issue.
 */
import * as Cursor from "@tessera/contract-kit/Cursor"
import { InvalidCursor } from "@tessera/contracts/crm/Shared"

export const paginate = Cursor.paginate

/** A list operation's `cursor` input: no cursor is the first page; a foreign one is INVALID_CURSOR. */
export const afterCursor = (cursor: string | undefined, operation: string, sortKey: Cursor.SortKey = "instant") =>
  Cursor.after(
    cursor,
    (forged) => new InvalidCursor({ cursor: forged, detail: `This cursor was not issued by ${operation}.` }),
    sortKey
  )
