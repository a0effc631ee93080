/**
 * What an unexpected failure of a call answers, and how it is logged.
 *
 * - The database is unreachable, overloaded or timing out (a connection error, a deadlock or
 *   serialization failure, a lock or statement timeout, the SQLSTATE classes of
 *   `UNAVAILABLE_STATES`): **503** with `Retry-After`, the caller's to retry.
 * - PostgreSQL refused a value as data (SQLSTATE class 22: out of range, bad encoding, impossible
 *   date) that got past the edge checks: **400**, never a 500 for the caller's input.
 * - Anything else is a bug: **500** carrying only the request id.
 *
 * Logging is one line per failure class, rate limited (at most one per class every
 * {@link LOG_INTERVAL_MS}, saying how many were suppressed): an outage of a busy server does not
 * flood the log with a trace per request. A bug's first occurrence per class is logged with its
 * full cause.
 */
import { InvalidInput, ServiceUnavailable } from "@tessera/contract-kit/ContractError"
import { Cause, Clock, Effect } from "effect"

export const RETRY_AFTER_SECONDS = 5
export const LOG_INTERVAL_MS = 10_000

export type Classified =
  | { readonly _tag: "Unavailable"; readonly reason: string }
  | { readonly _tag: "Data"; readonly reason: string }
  | { readonly _tag: "Bug"; readonly reason: string }

const UNAVAILABLE_REASONS = new Set([
  "ConnectionError",
  "AuthenticationError",
  "DeadlockError",
  "SerializationError",
  "LockTimeoutError",
  "StatementTimeoutError"
])

/**
 * SQLSTATE classes of a database that is there but not serving this call: connection exceptions
 * (08), authorization (28), the database missing or not accepting connections (3D, 55), rollbacks
 * on serialization or deadlock (40), insufficient resources (53), an administrator's shutdown or
 * a crash (57) and system errors (58).
 */
const UNAVAILABLE_STATES = /^(08|28|3D|40|53|55|57|58)/

const field = (value: unknown, name: string): unknown =>
  typeof value === "object" && value !== null && name in value ? Reflect.get(value, name) : undefined

const sqlState = (value: unknown): string | undefined => {
  for (let node = value, depth = 0; node !== undefined && depth < 6; node = field(node, "cause"), depth++) {
    const code = field(node, "code")
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code
  }
  return undefined
}

const classifyOne = (value: unknown): Classified | undefined => {
  // Walk wrappers (UndeclaredError.error, SqlError.reason, Error.cause) looking for an SqlError.
  for (let node = value, depth = 0; node !== undefined && node !== null && depth < 6; depth++) {
    if (field(node, "_tag") === "SqlError") {
      const reason = field(node, "reason")
      const reasonTag = String(field(reason, "_tag") ?? "UnknownError")
      const state = sqlState(reason)
      if (UNAVAILABLE_REASONS.has(reasonTag)) return { _tag: "Unavailable", reason: reasonTag }
      if (state !== undefined && UNAVAILABLE_STATES.test(state))
        return { _tag: "Unavailable", reason: `SQLSTATE ${state}` }
      if (state?.startsWith("22")) return { _tag: "Data", reason: `SQLSTATE ${state}` }
      return { _tag: "Bug", reason: `SqlError ${reasonTag}${state === undefined ? "" : ` ${state}`}` }
    }
    node = field(node, "error") ?? field(node, "cause")
  }
  return undefined
}

/** The class of an unexpected failure (see the module doc). */
export const classify = (cause: Cause.Cause<unknown>): Classified => {
  for (const reason of cause.reasons) {
    const value = Cause.isFailReason(reason) ? reason.error : Cause.isDieReason(reason) ? reason.defect : undefined
    const found = classifyOne(value)
    if (found !== undefined) return found
  }
  const first = cause.reasons[0]
  const value =
    first === undefined
      ? undefined
      : Cause.isFailReason(first)
        ? first.error
        : Cause.isDieReason(first)
          ? first.defect
          : undefined
  const tag = field(value, "_tag")
  return {
    _tag: "Bug",
    reason: typeof tag === "string" ? tag : Cause.hasInterruptsOnly(cause) ? "Interrupted" : "Defect"
  }
}

/** The kit error a classified failure answers with; `undefined` for a bug (a 500). */
export const answerOf = (classified: Classified) =>
  classified._tag === "Unavailable"
    ? new ServiceUnavailable({
        retryAfterSeconds: RETRY_AFTER_SECONDS,
        detail: "The database is unavailable; retry later"
      })
    : classified._tag === "Data"
      ? new InvalidInput({ detail: "A value of the input cannot be stored", issues: [] })
      : undefined

interface Window {
  lastLoggedAt: number
  suppressed: number
  seen: boolean
}

/** A rate-limited logger of failure classes; one per server (module-level state is per process). */
export const makeLogger = () => {
  const windows = new Map<string, Window>()
  return (key: string, classified: Classified, cause: Cause.Cause<unknown>, annotations: Record<string, string>) =>
    Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const id = `${key} ${classified._tag} ${classified.reason}`
      const window = windows.get(id) ?? { lastLoggedAt: Number.NEGATIVE_INFINITY, suppressed: 0, seen: false }
      windows.set(id, window)
      if (now - window.lastLoggedAt < LOG_INTERVAL_MS) {
        window.suppressed++
        return
      }
      const suppressed = window.suppressed
      window.lastLoggedAt = now
      window.suppressed = 0
      const line = `${key}: ${classified._tag === "Unavailable" ? "database unavailable" : classified._tag === "Data" ? "value refused by the database" : "unexpected failure"} (${classified.reason})${suppressed > 0 ? `; ${suppressed} more since the last report` : ""}`
      const firstBug = classified._tag === "Bug" && !window.seen
      window.seen = true
      const log =
        classified._tag === "Bug"
          ? firstBug
            ? Effect.logError(line, cause)
            : Effect.logError(line)
          : Effect.logWarning(line)
      yield* log.pipe(Effect.annotateLogs(annotations))
    })
}
