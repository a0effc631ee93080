/**
 * The service business's use of `@tessera/database/Rows`, Tessera's one repository idiom, with one
 * twist: every query selects rows already in the API's shape as one JSON value per row
 * (`SELECT to_json(r) AS j FROM (…) r`), and `Rows` decodes that value with the contract's schema.
 * Money columns are `bigint` (each bounded to the safe range by a CHECK); the driver reads a bare
 * `bigint` column as a JavaScript `bigint`, which the contracts' integer schemas refuse, while in
 * JSON it is an exact integer. A row that does not decode, or a database failure, is a defect (a
 * 500 that leaks nothing), not a caller's error.
 */
import * as Rows from "@tessera/database/Rows"
import { Effect, type Schema } from "effect"

/** The `j` column of each row. */
const values = (rows: Rows.Rows) =>
  Effect.map(rows, (found) =>
    found.map((row) => (typeof row === "object" && row !== null && "j" in row ? row.j : undefined))
  )

/** Every row `rows` returns (as `j`), decoded by `Result`. */
export const all =
  <S extends Schema.Constraint>(Result: S) =>
  (rows: Rows.Rows) =>
    Rows.all(Result, values(rows))

/** The row `rows` returns (as `j`), if any, decoded by `Result`. */
export const maybeOne =
  <S extends Schema.Constraint>(Result: S) =>
  (rows: Rows.Rows) =>
    Rows.maybeOne(Result, values(rows))

/** The one row `rows` returns (as `j`), decoded by `Result`; no row is a defect. */
export const one =
  <S extends Schema.Constraint>(Result: S) =>
  (rows: Rows.Rows) =>
    Rows.one(Result, values(rows))

export const containsPattern = Rows.containsPattern
