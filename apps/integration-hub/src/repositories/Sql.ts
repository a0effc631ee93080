/**
 * Small SQL helpers shared by the hub's repositories. Their queries select rows already in the
 * API's shape, so decoding is the contract schema's job; a row that does not decode, or a
 * database failure, is a defect (a 500 that leaks nothing), not a caller's error.
 */
import { Effect, Schema } from "effect"
import { SqlSchema } from "effect/sql"

type Rows = Effect.Effect<ReadonlyArray<unknown>, unknown>

/** The one row `rows` returns, decoded by `Result`. */
export const one = <S extends Schema.Constraint>(Result: S, rows: Rows) =>
  SqlSchema.findOne({ Request: Schema.Void, Result, execute: () => rows })().pipe(Effect.orDie)

/** The row `rows` returns, if any, decoded by `Result`. */
export const maybeOne = <S extends Schema.Constraint>(Result: S, rows: Rows) =>
  SqlSchema.findOneOption({ Request: Schema.Void, Result, execute: () => rows })().pipe(Effect.orDie)

/** Every row `rows` returns, decoded by `Result`. */
export const all = <S extends Schema.Constraint>(Result: S, rows: Rows) =>
  SqlSchema.findAll({ Request: Schema.Void, Result, execute: () => rows })().pipe(Effect.orDie)

/** A `LIKE` pattern matching `text` anywhere, with `%`, `_` and `\` taken literally. */
export const containsPattern = (text: string): string => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
