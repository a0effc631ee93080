/**
 * Client-visible errors of a contract, as `Schema.TaggedError` classes whose JSON form *is* the
 * RFC 9457 problem body: `code` (stable, machine-readable), `status`, `title`, `detail`, plus the
 * error's own fields. Declare a contract's errors with {@link ContractError}; the kit's own
 * failures (invalid input, unauthenticated, forbidden, …) are declared the same way below and
 * added to every endpoint, so the derived client decodes every answer into a typed error.
 *
 * Definition-side module: no server, database or JWT code.
 */
import { Schema } from "effect"

/** The fields every problem body carries (besides `_tag`). */
export interface ProblemFields<Code extends string, Status extends number> {
  readonly code: Schema.tag<Code>
  readonly status: Schema.tag<Status>
  readonly title: Schema.tag<string>
  readonly detail: Schema.String
}

export interface ProblemOptions<Code extends string, Status extends number> {
  /** Stable, machine-readable code, e.g. `TRACK_NOT_FOUND`. Never change it once published. */
  readonly code: Code
  /** The HTTP status the error answers with (4xx for client-caused errors). */
  readonly status: Status
  /** Short, human-readable summary of the problem type (the same for every occurrence). */
  readonly title: string
  /** When the error happens: shown in the docs and OpenAPI. */
  readonly when?: string | undefined
}

const problemFields = <const Code extends string, const Status extends number>(
  options: ProblemOptions<Code, Status>
): ProblemFields<Code, Status> => ({
  code: Schema.tag(options.code),
  status: Schema.tag(options.status),
  title: Schema.tag(options.title),
  detail: Schema.String
})

/**
 * Defines a contract error class.
 *
 * ```ts
 * export class TrackNotFound extends ContractError<TrackNotFound>()("TrackNotFound", {
 *   code: "TRACK_NOT_FOUND", status: 404, title: "Track not found",
 *   when: "Track ID or routing context is invalid"
 * }, { trackId: Schema.String }) {}
 *
 * yield* new TrackNotFound({ trackId, detail: `No track ${trackId}` })
 * ```
 */
export const ContractError =
  <Self = never>() =>
  <
    const Tag extends string,
    const Code extends string,
    const Status extends number,
    const Fields extends Schema.Struct.Fields = {}
  >(
    tag: Tag,
    options: ProblemOptions<Code, Status>,
    fields?: Fields
  ) =>
    Schema.TaggedError<Self>()(
      tag,
      { ...(fields ?? ({} as Fields)), ...problemFields(options) },
      {
        httpApiStatus: options.status,
        title: options.title,
        ...(options.when === undefined ? {} : { description: options.when })
      }
    )

/** 400: the input does not match the contract's input schema (or the body is not JSON). */
export class InvalidInput extends ContractError<InvalidInput>()(
  "InvalidInput",
  { code: "INVALID_INPUT", status: 400, title: "Invalid input", when: "The input does not match the input schema" },
  {
    issues: Schema.Array(
      Schema.Struct({
        path: Schema.Array(Schema.Union([Schema.String, Schema.Number])),
        message: Schema.String
      })
    )
  }
) {}

/** 401: no bearer token, or one that does not verify. */
export class Unauthenticated extends ContractError<Unauthenticated>()("Unauthenticated", {
  code: "UNAUTHENTICATED",
  status: 401,
  title: "Authentication required",
  when: "No bearer token, or an invalid or expired one"
}) {}

/** 403: authenticated, but the policy denies the call. */
export class Forbidden extends ContractError<Forbidden>()("Forbidden", {
  code: "FORBIDDEN",
  status: 403,
  title: "Forbidden",
  when: "The caller's roles do not satisfy the contract's policy"
}) {}

/** 413: the request body is larger than the server's limit. */
export class PayloadTooLarge extends ContractError<PayloadTooLarge>()(
  "PayloadTooLarge",
  { code: "PAYLOAD_TOO_LARGE", status: 413, title: "Payload too large", when: "The body exceeds the size limit" },
  { limit: Schema.Number }
) {}

/** 422: an `Idempotency-Key` reused with a different body for the same operation. */
export class IdempotencyKeyReused extends ContractError<IdempotencyKeyReused>()("IdempotencyKeyReused", {
  code: "IDEMPOTENCY_KEY_REUSED",
  status: 422,
  title: "Idempotency key reused",
  when: "The Idempotency-Key was already used for this operation with a different body"
}) {}

/** 404: no operation at this path (paths are exact: case, slashes and `;` parameters count). */
export class RouteNotFound extends ContractError<RouteNotFound>()("RouteNotFound", {
  code: "NOT_FOUND",
  status: 404,
  title: "Not found",
  when: "No operation is served at this path"
}) {}

/** 405: the path exists, the method does not (the answer's `Allow` header lists the methods). */
export class MethodNotAllowed extends ContractError<MethodNotAllowed>()(
  "MethodNotAllowed",
  {
    code: "METHOD_NOT_ALLOWED",
    status: 405,
    title: "Method not allowed",
    when: "The path is served with other methods"
  },
  { allow: Schema.Array(Schema.String) }
) {}

/** 408: the client did not send its headers or its body in time. */
export class RequestTimeout extends ContractError<RequestTimeout>()("RequestTimeout", {
  code: "REQUEST_TIMEOUT",
  status: 408,
  title: "Request timeout",
  when: "The request's headers or body did not arrive in time"
}) {}

/** 415: a body that is not declared as JSON. */
export class UnsupportedMediaType extends ContractError<UnsupportedMediaType>()("UnsupportedMediaType", {
  code: "UNSUPPORTED_MEDIA_TYPE",
  status: 415,
  title: "Unsupported media type",
  when: "The request body is not sent as application/json"
}) {}

/** 503: a dependency (the database) is unavailable; retry after `Retry-After` seconds. */
export class ServiceUnavailable extends ContractError<ServiceUnavailable>()(
  "ServiceUnavailable",
  {
    code: "SERVICE_UNAVAILABLE",
    status: 503,
    title: "Service unavailable",
    when: "The database is unreachable or overloaded; retry after the Retry-After header's seconds"
  },
  { retryAfterSeconds: Schema.Number }
) {}

/** 500: anything undeclared. Carries only the request id (look it up in the server log). */
export class InternalError extends ContractError<InternalError>()(
  "InternalError",
  { code: "INTERNAL", status: 500, title: "Internal error", when: "An unexpected failure (details in the server log)" },
  { requestId: Schema.String }
) {}

/**
 * The failures the kit itself answers with. Which of them an operation can answer depends on the
 * operation (`ContractApi.kitErrorsOf`): 403 needs a policy beyond `anonymous`, 413/415 a body,
 * 422 a command.
 */
export const kitErrors = [
  InvalidInput,
  Unauthenticated,
  Forbidden,
  PayloadTooLarge,
  UnsupportedMediaType,
  IdempotencyKeyReused,
  ServiceUnavailable,
  InternalError
]

/** What `kitErrorsOf` reads of a contract (structural, so this module needs no `Contract` import). */
export interface KitErrorSubject {
  readonly kind: "command" | "query"
  readonly policy: { readonly auth: string; readonly roles?: ReadonlyArray<string> | undefined }
  readonly http: { readonly method: string }
}

/**
 * The kit's failures one operation can answer, as listed in its OpenAPI operation and docs page:
 * 403 only under a policy beyond `anonymous`, 413 and 415 only with a JSON body, 422 only on
 * commands (the only operations taking an `Idempotency-Key`).
 */
export const kitErrorsOf = (contract: KitErrorSubject): ReadonlyArray<(typeof kitErrors)[number]> =>
  kitErrors.filter((error) => {
    if (error === Forbidden) {
      return contract.policy.auth !== "anonymous" || (contract.policy.roles?.length ?? 0) > 0
    }
    if (error === PayloadTooLarge || error === UnsupportedMediaType) return contract.http.method !== "GET"
    if (error === IdempotencyKeyReused) return contract.kind === "command"
    return true
  })

/** Answers of the HTTP edge itself, never of an operation: unknown paths, methods, slow clients. */
export const edgeErrors = [RouteNotFound, MethodNotAllowed, RequestTimeout]

export type KitError =
  | InvalidInput
  | Unauthenticated
  | Forbidden
  | PayloadTooLarge
  | UnsupportedMediaType
  | IdempotencyKeyReused
  | ServiceUnavailable
  | InternalError
