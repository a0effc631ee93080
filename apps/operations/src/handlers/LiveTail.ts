/**
 * `GET /dispatch/events/tail`: the caller's organization's events as they are recorded, as
 * server-sent events (`event: envelope`, `data: <StoredEvent JSON>`), for Studio's live tail.
 * Filters as `dispatch.event.list` (`type`, `producer`, `subject`, `correlationId`); `after` starts
 * after a position, otherwise the stream opens with the latest 50 matching events. Admin only
 * (bearer token, as for the contracts): 401 without a valid token, 403 without the admin role.
 *
 * The dispatcher's log is polled every half second (a `LISTEN` per viewer would hold a connection
 * each); a comment line every 15 seconds keeps proxies from closing an idle stream.
 */
import { Auth } from "@tessera/contract-server/Auth"
import { Duration, Effect, Option, Schema, Stream } from "effect"
import { HttpRouter, HttpServerRequest, HttpServerResponse } from "effect/http"
import { EventLog } from "../services/EventLog.ts"

export const TAIL_PATH = "/dispatch/events/tail"
const POLL = Duration.millis(500)
const HEARTBEAT = Duration.seconds(15)
const BACKLOG = 50

const problem = (status: number, code: string, detail: string) =>
  HttpServerResponse.jsonUnsafe(
    { type: "about:blank", title: code, status, code, detail },
    { status, contentType: "application/problem+json" }
  )

const Filters = Schema.Struct({
  type: Schema.optionalKey(Schema.String),
  producer: Schema.optionalKey(Schema.String),
  subject: Schema.optionalKey(Schema.String),
  correlationId: Schema.optionalKey(Schema.String),
  after: Schema.optionalKey(Schema.String.check(Schema.isPattern(/^\d{1,19}$/)))
})

const nonEmpty = (value: string | undefined) => (value === undefined || value.trim() === "" ? undefined : value.trim())

export const route = HttpRouter.use(
  Effect.fn(function* (router) {
    const auth = yield* Auth
    const log = yield* EventLog
    yield* router.add(
      "GET",
      TAIL_PATH,
      Effect.gen(function* () {
        const request = yield* HttpServerRequest.HttpServerRequest
        const match = /^Bearer\s+(\S+)$/i.exec((request.headers.authorization ?? "").trim())
        if (match?.[1] === undefined) return problem(401, "UNAUTHENTICATED", "A bearer token is required")
        const principal = yield* auth.verify(match[1]).pipe(Effect.option)
        if (Option.isNone(principal)) return problem(401, "UNAUTHENTICATED", "The bearer token is invalid")
        if (!principal.value.roles.includes("admin")) {
          return problem(403, "FORBIDDEN", "The live tail requires the admin role")
        }
        const query = Option.match(HttpServerRequest.toURL(request), {
          onNone: () => ({}),
          onSome: (url) => Object.fromEntries(url.searchParams)
        })
        const filters = Schema.decodeUnknownOption(Filters)(query)
        if (Option.isNone(filters)) return problem(400, "INVALID_INPUT", "after must be an event position")
        const filter = {
          organizationId: principal.value.organizationId,
          type: nonEmpty(filters.value.type),
          producer: nonEmpty(filters.value.producer),
          subject: nonEmpty(filters.value.subject),
          correlationId: nonEmpty(filters.value.correlationId)
        }
        const first = filters.value.after
        const events = Stream.paginate({ after: first, first: true }, (state) =>
          Effect.gen(function* () {
            if (!state.first) yield* Effect.sleep(POLL)
            const items = yield* log
              .events({ ...filter, after: state.after, limit: state.after === undefined ? BACKLOG : 200 })
              .pipe(Effect.orDie)
            const after = items.at(-1)?.position ?? state.after ?? "0"
            const frames = items.map(
              (item) => `event: envelope\nid: ${item.position}\ndata: ${JSON.stringify(item)}\n\n`
            )
            return [frames, Option.some({ after, first: false })] as const
          })
        )
        const heartbeat = Stream.tick(HEARTBEAT).pipe(Stream.map(() => ": keep-alive\n\n"))
        const body = Stream.merge(Stream.make(": tail open\n\n"), Stream.merge(events, heartbeat)).pipe(
          Stream.encodeText
        )
        return HttpServerResponse.stream(body, {
          contentType: "text/event-stream",
          headers: { "cache-control": "no-store", "x-accel-buffering": "no" }
        })
      })
    )
  })
)
