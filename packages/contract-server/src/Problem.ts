/**
 * Answers as HTTP responses: a success as JSON, every failure as an RFC 9457
 * `application/problem+json` body (`type`, `title`, `status`, `code`, `detail`, the error's own
 * fields, `instance` = the request id), encoded with the error's wire schema
 * (`ContractApi.problemSchema`: no Effect-internal `_tag`), so the derived client decodes it back
 * into the typed error.
 */
import type { AnyContract, ErrorSchema } from "@tessera/contract-kit/Contract"
import { problemSchema } from "@tessera/contract-kit/ContractApi"
import {
  edgeErrors,
  InternalError,
  type KitError,
  kitErrors,
  MethodNotAllowed,
  type RequestTimeout,
  type RouteNotFound,
  ServiceUnavailable
} from "@tessera/contract-kit/ContractError"
import { jsonCodec } from "@tessera/contract-kit/internal/Codec"
import { errorInfo } from "@tessera/contract-kit/internal/ErrorInfo"
import { Schema } from "effect"
import { HttpServerResponse } from "effect/http"

export const PROBLEM_JSON = "application/problem+json"

export const json = (status: number, body: unknown, headers: Record<string, string>, contentType?: string) =>
  HttpServerResponse.jsonUnsafe(body, { status, headers, ...(contentType === undefined ? {} : { contentType }) })

interface Encoder {
  readonly is: (value: unknown) => boolean
  readonly encode: (value: unknown) => unknown
  readonly status: number
}

const encoders = new WeakMap<ErrorSchema, Encoder>()

const encoderOf = (schema: ErrorSchema): Encoder => {
  const known = encoders.get(schema)
  if (known !== undefined) return known
  const encoder: Encoder = {
    is: Schema.is(jsonCodec(schema)),
    encode: Schema.encodeUnknownSync(jsonCodec(problemSchema(schema))),
    status: errorInfo(schema).status ?? 500
  }
  encoders.set(schema, encoder)
  return encoder
}

const answer = (encoder: Encoder, error: unknown, requestId: string, headers: Record<string, string> = {}) => {
  const encoded = encoder.encode(error)
  const body = {
    type: "about:blank",
    ...(typeof encoded === "object" && encoded !== null ? encoded : {}),
    instance: requestId
  }
  return json(encoder.status, body, { "x-request-id": requestId, ...headers }, PROBLEM_JSON)
}

const kitEncoders = (): ReadonlyArray<Encoder> => [...kitErrors, ...edgeErrors].map(encoderOf)

/** One of the kit's own failures (or the edge's: 404, 405, 408) as its problem answer. */
export const kit = (error: KitError | RouteNotFound | MethodNotAllowed | RequestTimeout, requestId: string) => {
  const headers: Record<string, string> =
    error instanceof MethodNotAllowed
      ? { allow: error.allow.join(", ") }
      : error instanceof ServiceUnavailable
        ? { "retry-after": String(error.retryAfterSeconds) }
        : {}
  const encoder = kitEncoders().find((entry) => entry.is(error)) ?? encoderOf(InternalError)
  return answer(encoder, error, requestId, headers)
}

/** The 500 answer: the `InternalError` problem, carrying only the request id. */
export const internalError = (requestId: string) =>
  kit(new InternalError({ requestId, detail: `Unexpected failure; quote request id ${requestId}` }), requestId)

/**
 * The problem answers of one contract: its declared errors and the kit's. `answerOf` is
 * `undefined` for anything else (an undeclared failure, which the pipeline turns into a 500).
 */
export const forContract = (contract: AnyContract) => {
  const declared = contract.errors.map(encoderOf)
  const all = [...declared, ...kitErrors.map(encoderOf)]
  return {
    isDeclared: (error: unknown): boolean => declared.some((encoder) => encoder.is(error)),
    answerOf: (error: unknown, requestId: string) => {
      const encoder = all.find((entry) => entry.is(error))
      if (encoder === undefined) return undefined
      return error instanceof ServiceUnavailable ? kit(error, requestId) : answer(encoder, error, requestId)
    }
  }
}
