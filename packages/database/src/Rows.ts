/**
 * The one way Tessera repositories turn SQL into values. Each query selects rows already in the
 * API's shape (column aliases, `iso()` timestamps) and a schema — usually the contract's —
 * decodes them. A row that does not decode, a missing row, or a database failure is a defect (a
 * 500 that leaks nothing), never a caller's error: a repository method fails only with the domain
 * errors it declares, such as a unique violation turned into a conflict by `unique`.
 *
 *   insert: Effect.fn("CompanyRepository.insert")(function* (company: NewCompany) {
 *     return yield* Rows.one(
 *       Company,
 *       Rows.unique(sql`INSERT … RETURNING …`, () => new CompanyDomainTaken({ … }))
 *     )
 *   })
 */
import { Cause, Effect, Schema } from "effect"
import { SqlError, SqlSchema } from "effect/sql"

/** Failures no caller can act on. */
type Defect = SqlError.SqlError | Schema.SchemaError | Cause.NoSuchElementError

const isDefect = (error: unknown): error is Defect =>
  SqlError.isSqlError(error) || Schema.isSchemaError(error) || Cause.isNoSuchElementError(error)

/** A failure some caller can act on: one of the domain errors a repository declares. */
const isDomainError = <E>(error: E): error is Exclude<E, Defect> => !isDefect(error)

/** `self` with every `Defect` turned into a defect; the domain errors stay. */
const orDieOnDefects = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, Exclude<E, Defect>, R> =>
  Effect.catch(self, (error) => (isDomainError(error) ? Effect.fail(error) : Effect.die(error)))

/** A statement's rows; its failures are a `SqlError` or a domain error (see `unique`). */
export type Rows<E = never> = Effect.Effect<ReadonlyArray<unknown>, E | SqlError.SqlError>

/** The one row `rows` returns, decoded by `Result`. No row is a defect. */
export const one = <S extends Schema.Constraint, E = never>(Result: S, rows: Rows<E>) =>
  orDieOnDefects(SqlSchema.findOne({ Request: Schema.Void, Result, execute: () => rows })())

/** The row `rows` returns, if any, decoded by `Result`. */
export const maybeOne = <S extends Schema.Constraint, E = never>(Result: S, rows: Rows<E>) =>
  orDieOnDefects(SqlSchema.findOneOption({ Request: Schema.Void, Result, execute: () => rows })())

/** Every row `rows` returns, decoded by `Result`. */
export const all = <S extends Schema.Constraint, E = never>(Result: S, rows: Rows<E>) =>
  orDieOnDefects(SqlSchema.findAll({ Request: Schema.Void, Result, execute: () => rows })())

/** Whether `rows` returns any row: `SELECT 1 …`, `INSERT … ON CONFLICT DO NOTHING RETURNING id`. */
export const some = <E = never>(rows: Rows<E>) => orDieOnDefects(Effect.map(rows, (found) => found.length > 0))

/** Runs a statement whose rows do not matter (`UPDATE`, `DELETE`). */
export const run = <E = never>(statement: Effect.Effect<unknown, E | SqlError.SqlError>) =>
  orDieOnDefects(Effect.asVoid(statement))

/**
 * The statement, with a unique violation (a taken name, domain, …) failing as the domain error
 * `onViolation` makes — only a violation of `options.constraint` when given, so that, say, a
 * colliding primary key stays a defect. Any other database failure stays a `SqlError`.
 */
export const unique = <A, E>(
  statement: Effect.Effect<A, SqlError.SqlError>,
  onViolation: () => E,
  options: { readonly constraint?: string | undefined } = {}
): Effect.Effect<A, E | SqlError.SqlError> =>
  Effect.catchIf(
    statement,
    (error) =>
      error.reason._tag === "UniqueViolation" &&
      (options.constraint === undefined || error.reason.constraint === options.constraint),
    () => Effect.fail(onViolation())
  )

/** A `LIKE` pattern matching `text` anywhere, with `%`, `_` and `\` taken literally. */
export const containsPattern = (text: string): string => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
