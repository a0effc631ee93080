/**
 * Small SQL helpers shared by the service-business repositories. Every query selects rows already
 * in the API's shape as one JSON value per row (`SELECT to_json(r) AS j FROM (…) r`): `bigint`
 * money columns become exact JSON integers (each bounded to the safe range by a CHECK), and the
 * contract schemas decode them. A row that does not decode, or a database failure, is a defect
 * (a 500 that leaks nothing), not a caller's error.
 */
import { Effect, Option, Schema } from "effect"

type Rows = Effect.Effect<ReadonlyArray<unknown>, unknown>

const values = (rows: Rows) =>
  Effect.map(rows, (found) =>
    found.map((row) => (typeof row === "object" && row !== null && "j" in row ? row.j : undefined))
  )

/** Every row `rows` returns (as `j`), decoded by `Result`. */
export const all =
  <S extends Schema.Top>(Result: S) =>
  (rows: Rows) =>
    values(rows).pipe(Effect.flatMap(Schema.decodeUnknownEffect(Schema.Array(Result))), Effect.orDie)

/** The row `rows` returns (as `j`), if any, decoded by `Result`. */
export const maybeOne =
  <S extends Schema.Top>(Result: S) =>
  (rows: Rows) =>
    Effect.map(all(Result)(rows), (decoded) => Option.fromUndefinedOr(decoded[0]))

/** The one row `rows` returns (as `j`), decoded by `Result`. */
export const one =
  <S extends Schema.Top>(Result: S) =>
  (rows: Rows) =>
    Effect.flatMap(
      maybeOne(Result)(rows),
      Option.match({ onNone: () => Effect.die("expected a row"), onSome: Effect.succeed })
    )

/** A `LIKE` pattern matching `text` anywhere, with `%`, `_` and `\` taken literally. */
export const containsPattern = (text: string): string => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
