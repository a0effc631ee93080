/**
 * The generic JSON-over-HTTP connector (effect's `HttpClient`): paged reads by cursor or offset,
 * upserts keyed by external id (`PUT {path}/{id}` each, or `POST {path}` a batch), bearer, API key
 * or basic auth from the decrypted credentials, and 429/`Retry-After` aware: a rate-limited call
 * waits what the remote asks (bounded) and is retried by the page's retry schedule.
 *
 * Error messages name the method, the path and the status or error code, never a header, so no
 * credential reaches a run's error, a log line or an event.
 */
import type { Credentials, RestConfig } from "@tessera/contracts/integration-hub/Connections"
import { Duration, Effect, Redacted } from "effect"
import { HttpClient, HttpClientRequest, type HttpClientResponse } from "effect/http"
import { externalIdOf } from "../../domain/Mapping.ts"
import { type Health, type Item, type Page, RemoteError, type Source, type Target } from "./Connector.ts"

type Rest = typeof RestConfig.Type

/** How long one HTTP call may take. */
const REQUEST_TIMEOUT = Duration.seconds(5)
/** The longest `Retry-After` honoured within a page (a longer one fails the attempt; the page is retried later). */
const MAX_RETRY_AFTER = Duration.seconds(3)

const authHeaders = (credentials: Credentials | undefined): Record<string, string> => {
  if (credentials === undefined) return {}
  switch (credentials.type) {
    case "bearer":
      return { authorization: `Bearer ${Redacted.value(credentials.token)}` }
    case "apiKey":
      return { [credentials.header ?? "x-api-key"]: Redacted.value(credentials.key) }
    case "basic":
      return {
        authorization: `Basic ${Buffer.from(`${Redacted.value(credentials.username)}:${Redacted.value(credentials.password)}`).toString("base64")}`
      }
  }
}

const errorCode = (error: unknown): string => {
  let current: unknown = error
  let message: string | undefined
  for (let depth = 0; depth < 8 && typeof current === "object" && current !== null; depth++) {
    if ("code" in current && typeof current.code === "string") return current.code
    if ("_tag" in current && current._tag === "TimeoutError") return "timed out"
    // The innermost plain error's message (`connect ECONNREFUSED …`, `bad port`): no header, no credential.
    if (current instanceof Error && !("_tag" in current)) message = current.message
    const next: unknown =
      "reason" in current && current.reason !== undefined
        ? current.reason
        : "cause" in current
          ? current.cause
          : undefined
    current = next
  }
  return message ?? "no answer"
}

/** Seconds or an HTTP date, bounded. */
const retryAfter = (header: string | undefined): Duration.Duration => {
  if (header === undefined) return Duration.millis(200)
  const seconds = Number(header)
  const millis = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now()
  return Duration.min(Duration.millis(Math.max(0, Number.isFinite(millis) ? millis : 200)), MAX_RETRY_AFTER)
}

const isObject = (value: unknown): value is Readonly<Record<string, unknown>> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

export const make = (config: Rest, credentials: Credentials | undefined) =>
  Effect.gen(function* () {
    const client = yield* HttpClient.HttpClient
    const base = config.baseUrl.replace(/\/+$/, "")
    const headers = authHeaders(credentials)
    const idField = config.idField ?? "id"

    /** Sends a request: 2xx and 4xx answers come back; 429, 5xx, timeouts and transport errors fail. */
    const send = (request: HttpClientRequest.HttpClientRequest, what: string) =>
      Effect.gen(function* () {
        const response = yield* client.execute(HttpClientRequest.setHeaders(request, headers)).pipe(
          Effect.timeout(REQUEST_TIMEOUT),
          Effect.mapError(
            (error) => new RemoteError({ message: `${what} failed: ${errorCode(error)}`, retryable: true })
          )
        )
        if (response.status === 429) {
          yield* Effect.sleep(retryAfter(response.headers["retry-after"]))
          return yield* new RemoteError({ message: `${what} answered 429 (rate limited)`, retryable: true })
        }
        if (response.status >= 500) {
          return yield* new RemoteError({ message: `${what} answered ${response.status}`, retryable: true })
        }
        return response
      })

    const json = (response: HttpClientResponse.HttpClientResponse, what: string) =>
      Effect.mapError(
        response.json,
        () => new RemoteError({ message: `${what} did not answer JSON`, retryable: false })
      )

    const source: Source | undefined =
      config.read === undefined
        ? undefined
        : {
            readPage: (position, size) =>
              Effect.gen(function* () {
                const read = config.read
                if (read === undefined) return yield* Effect.die("unreachable")
                const what = `GET ${read.path}`
                const params: Record<string, string> = { [read.limitParam ?? "limit"]: String(size) }
                const offset = read.pagination === "offset" ? Number(position ?? "0") : 0
                if (read.pagination === "offset") params[read.offsetParam ?? "offset"] = String(offset)
                else if (position !== null) params[read.cursorParam ?? "cursor"] = position
                const response = yield* send(
                  HttpClientRequest.get(`${base}${read.path}`).pipe(HttpClientRequest.setUrlParams(params)),
                  what
                )
                if (response.status >= 400) {
                  return yield* new RemoteError({
                    message: `${what} answered ${response.status}${response.status === 401 || response.status === 403 ? " (credentials refused)" : ""}`,
                    retryable: false
                  })
                }
                const body = yield* json(response, what)
                const list = Array.isArray(body) ? body : isObject(body) ? body[read.itemsField ?? "items"] : undefined
                if (!Array.isArray(list)) {
                  return yield* new RemoteError({
                    message: `${what} answered no "${read.itemsField ?? "items"}" array`,
                    retryable: false
                  })
                }
                const items: Array<Item> = list.map((entry, index) =>
                  isObject(entry)
                    ? { _tag: "Record", record: entry }
                    : { _tag: "Malformed", message: `item ${index} of the page is not an object` }
                )
                let next: string | null = null
                if (items.length > 0) {
                  if (read.pagination === "offset") next = items.length < size ? null : String(offset + items.length)
                  else {
                    const cursor = isObject(body) ? body[read.nextCursorField ?? "nextCursor"] : undefined
                    next = typeof cursor === "string" && cursor !== "" ? cursor : null
                  }
                }
                return { items, next } satisfies Page
              })
          }

    const target: Target | undefined =
      config.write === undefined
        ? undefined
        : {
            write: (records) =>
              Effect.gen(function* () {
                const write = config.write
                if (write === undefined) return yield* Effect.die("unreachable")
                if (records.length === 0) return { failures: [], state: null }
                const bodyOf = (record: (typeof records)[number]) => ({
                  ...record.fields,
                  [idField]: record.externalId
                })
                if (write.mode === "batch") {
                  const what = `POST ${write.path}`
                  const response = yield* send(
                    HttpClientRequest.post(`${base}${write.path}`).pipe(
                      HttpClientRequest.bodyJsonUnsafe(records.map(bodyOf))
                    ),
                    what
                  )
                  if (response.status >= 400) {
                    return yield* new RemoteError({ message: `${what} answered ${response.status}`, retryable: false })
                  }
                  return { failures: [], state: null }
                }
                const results = yield* Effect.forEach(
                  records,
                  (record) => {
                    const what = `PUT ${write.path}/{id}`
                    return Effect.map(
                      send(
                        HttpClientRequest.put(`${base}${write.path}/${encodeURIComponent(record.externalId)}`).pipe(
                          HttpClientRequest.bodyJsonUnsafe(bodyOf(record))
                        ),
                        what
                      ),
                      (response) =>
                        response.status >= 400
                          ? [{ externalId: record.externalId, message: `${what} answered ${response.status}` }]
                          : []
                    )
                  },
                  { concurrency: 8 }
                )
                return { failures: results.flat(), state: null }
              })
          }

    const health: Effect.Effect<Health> = Effect.gen(function* () {
      const path = config.healthPath ?? "/"
      const what = `GET ${path}`
      const response = yield* send(HttpClientRequest.get(`${base}${path}`), what)
      if (response.status === 401 || response.status === 403) {
        return { ok: false, message: `${what} answered ${response.status}: the credentials were refused` }
      }
      if (response.status >= 400) return { ok: false, message: `${what} answered ${response.status}` }
      return { ok: true, message: `${what} answered ${response.status}` }
    }).pipe(Effect.catch((error) => Effect.succeed({ ok: false, message: error.message })))

    return {
      source,
      target,
      health,
      idOf: (record: Readonly<Record<string, unknown>>) => externalIdOf(record, idField)
    }
  })
