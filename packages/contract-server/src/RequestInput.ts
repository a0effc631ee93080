/**
 * What a call's input is, before its contract's schema decodes it: the JSON body of a POST (415
 * unless declared JSON, 413 over the limit, 400 unless valid JSON) or the query string of a GET,
 * then the kit's edge checks shared by every contract (`@tessera/contract-kit/EdgeChecks`: strings
 * PostgreSQL can store, real dates, safe integers, bounded nesting). Also the request headers the
 * pipeline reads: request, correlation and causation ids, `traceparent` and `Idempotency-Key`,
 * each used only when well formed.
 */
import { IDEMPOTENCY_HEADER, IDEMPOTENCY_KEY_MAX_LENGTH } from "@tessera/contract-kit/ContractApi"
import { InvalidInput, PayloadTooLarge, UnsupportedMediaType } from "@tessera/contract-kit/ContractError"
import * as EdgeChecks from "@tessera/contract-kit/EdgeChecks"
import { ByteSize, Effect, Option } from "effect"
import type { HttpServerError } from "effect/http"
import { HttpIncomingMessage, HttpServerRequest } from "effect/http"

/** A header value, when present and sane (opaque ids: letters, digits, `-_.:`, at most 128). */
export const headerId = (request: HttpServerRequest.HttpServerRequest, name: string): string | undefined => {
  const value = request.headers[name]
  return value !== undefined && /^[A-Za-z0-9._:-]{1,128}$/.test(value) ? value : undefined
}

const TRACEPARENT = /^[0-9a-f]{2}-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/

/** The W3C `traceparent` header when well formed; anything else is ignored (never a failure). */
export const traceparent = (request: HttpServerRequest.HttpServerRequest): string | undefined => {
  const value = request.headers.traceparent?.trim()
  return value !== undefined && TRACEPARENT.test(value) && !value.startsWith("ff") ? value : undefined
}

const IDEMPOTENCY_KEY = new RegExp(`^[\\x21-\\x7E]{1,${IDEMPOTENCY_KEY_MAX_LENGTH}}$`)

/** The `Idempotency-Key` header: absent, or 1 to 255 visible ASCII characters (else 400). */
export const idempotencyKey = (request: HttpServerRequest.HttpServerRequest) => {
  const value = request.headers[IDEMPOTENCY_HEADER]
  if (value === undefined || value === "") return Effect.succeed(undefined)
  return IDEMPOTENCY_KEY.test(value)
    ? Effect.succeed(value)
    : Effect.fail(
        new InvalidInput({
          detail: `The Idempotency-Key header must be 1 to ${IDEMPOTENCY_KEY_MAX_LENGTH} visible ASCII characters`,
          issues: [{ path: ["Idempotency-Key"], message: "Invalid Idempotency-Key" }]
        })
      )
}

const isBodyTooLarge = (error: HttpServerError.HttpServerError) =>
  error.reason._tag === "RequestParseError" && error.reason.reason === "BodyTooLarge"

/** 413 before anything else when the declared length is over the limit (no need to read it). */
export const checkDeclaredLength = (request: HttpServerRequest.HttpServerRequest, limit: number) => {
  const declared = Number(request.headers["content-length"] ?? "0")
  return Number.isFinite(declared) && declared > limit
    ? Effect.fail(new PayloadTooLarge({ limit, detail: `The body is ${declared} bytes; the limit is ${limit}` }))
    : Effect.void
}

/** Strict UTF-8 (a malformed body is a 400, not replacement characters). Stateless between calls. */
const utf8 = new TextDecoder("utf-8", { fatal: true })

const JSON_TYPE = /^application\/(?:[a-z0-9.+-]+\+)?json\s*(?:;.*)?$/i

const edgeChecked = (value: unknown) => {
  const issues = EdgeChecks.check(value)
  return issues.length === 0
    ? Effect.succeed(value)
    : Effect.fail(new InvalidInput({ detail: "The input holds values the service cannot accept", issues }))
}

/** The JSON body: 415 unless declared JSON, 413 over `limit`, 400 unless valid, storable JSON. */
export const jsonBody = (request: HttpServerRequest.HttpServerRequest, limit: number) =>
  Effect.gen(function* () {
    const contentType = request.headers["content-type"]
    if (contentType === undefined || !JSON_TYPE.test(contentType.trim())) {
      return yield* new UnsupportedMediaType({
        detail: `The body must be sent as application/json (got ${contentType === undefined ? "no content type" : JSON.stringify(contentType.slice(0, 100))})`
      })
    }
    const bytes = yield* request.arrayBuffer.pipe(
      Effect.provideService(HttpIncomingMessage.MaxBodySize, ByteSize.bytes(limit)),
      Effect.mapError((error) =>
        isBodyTooLarge(error)
          ? new PayloadTooLarge({ limit, detail: `The body exceeds the limit of ${limit} bytes` })
          : new InvalidInput({ detail: "The request body could not be read", issues: [] })
      )
    )
    const text = yield* Effect.try({
      try: () => utf8.decode(bytes),
      catch: () => new InvalidInput({ detail: "The request body is not valid UTF-8", issues: [] })
    })
    const value = yield* Effect.try({
      try: (): unknown => JSON.parse(text),
      catch: () => new InvalidInput({ detail: "The request body is not valid JSON", issues: [] })
    })
    return yield* edgeChecked(value)
  })

/** The query parameters of a GET call: its input, before decoding. */
export const queryInput = (request: HttpServerRequest.HttpServerRequest) =>
  edgeChecked(
    Option.match(HttpServerRequest.toURL(request), {
      onNone: () => ({}),
      onSome: (url) => HttpServerRequest.searchParamsFromURL(url)
    })
  )
