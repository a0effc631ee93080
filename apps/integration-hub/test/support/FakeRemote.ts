/**
 * A small remote REST API on 127.0.0.1, started by the test (a real HTTP server, not a mock of
 * the engine): records in memory keyed by id, cursor paging on `/contacts`, offset paging on
 * `/people`, `PUT /contacts/:id` and `POST /contacts` (a batch) as upserts, a bearer token it
 * checks, and switches to answer 429 with `Retry-After`, or 500, to the next requests.
 */
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import { Context, Effect, Layer } from "effect"

export interface RemoteState {
  readonly url: string
  /** Records by id, as last written. */
  readonly records: Map<string, Record<string, unknown>>
  /** Records to serve on reads, in order. */
  source: Array<Record<string, unknown>>
  /** Every request: method, path, authorization header. */
  readonly requests: Array<{
    readonly method: string
    readonly path: string
    readonly authorization: string | undefined
  }>
  /** Writes per id (an upsert written twice counts twice). */
  readonly writes: Map<string, number>
  /** The token reads and writes must carry (`Bearer <token>`); undefined: none needed. */
  token: string | undefined
  /** Answer 429 (Retry-After: 0) to this many of the next requests. */
  throttle: number
  /** Answer 500 to this many of the next requests. */
  failures: number
  /** Wait this long before answering each write. */
  writeDelayMs: number
}

export class FakeRemote extends Context.Service<FakeRemote, RemoteState>()("test/FakeRemote") {}

const readBody = (request: Http.IncomingMessage) =>
  new Promise<string>((resolve) => {
    let body = ""
    request.setEncoding("utf8")
    request.on("data", (chunk: string) => {
      body += chunk
    })
    request.on("end", () => resolve(body))
  })

export const start = Effect.acquireRelease(
  Effect.callback<{ server: Http.Server; state: RemoteState }>((resume) => {
    const state: RemoteState = {
      url: "",
      records: new Map(),
      source: [],
      requests: [],
      writes: new Map(),
      token: undefined,
      throttle: 0,
      failures: 0,
      writeDelayMs: 0
    }
    const send = (
      response: Http.ServerResponse,
      status: number,
      body: unknown,
      headers: Record<string, string> = {}
    ) => {
      response.writeHead(status, { "content-type": "application/json", ...headers })
      response.end(JSON.stringify(body))
    }
    const upsert = (record: Record<string, unknown>) => {
      const id = String(record.id)
      const existed = state.records.has(id)
      state.records.set(id, record)
      state.writes.set(id, (state.writes.get(id) ?? 0) + 1)
      return existed
    }
    const server = Http.createServer((request, response) => {
      void (async () => {
        const url = new URL(request.url ?? "/", "http://localhost")
        state.requests.push({
          method: request.method ?? "",
          path: url.pathname,
          authorization: request.headers.authorization
        })
        const body = await readBody(request)
        if (request.method !== "GET" && state.writeDelayMs > 0) {
          await new Promise((resolve) => setTimeout(resolve, state.writeDelayMs))
        }
        if (state.throttle > 0) {
          state.throttle--
          return send(response, 429, { error: "slow down" }, { "retry-after": "0" })
        }
        if (state.failures > 0) {
          state.failures--
          return send(response, 500, { error: "boom" })
        }
        if (state.token !== undefined && request.headers.authorization !== `Bearer ${state.token}`) {
          return send(response, 401, { error: "unauthorized" })
        }
        if (request.method === "GET" && url.pathname === "/health") return send(response, 200, { ok: true })
        const limit = Number(url.searchParams.get("limit") ?? "50")
        if (request.method === "GET" && url.pathname === "/contacts") {
          const from = Number(url.searchParams.get("cursor") ?? "0")
          const items = state.source.slice(from, from + limit)
          const next = from + limit < state.source.length ? String(from + limit) : null
          return send(response, 200, { items, nextCursor: next })
        }
        if (request.method === "GET" && url.pathname === "/people") {
          const offset = Number(url.searchParams.get("offset") ?? "0")
          return send(response, 200, state.source.slice(offset, offset + limit))
        }
        if (request.method === "PUT" && url.pathname.startsWith("/contacts/")) {
          const record = JSON.parse(body)
          if (typeof record.email === "string" && !record.email.includes("@")) {
            return send(response, 422, { error: "invalid email" })
          }
          return send(response, upsert(record) ? 200 : 201, record)
        }
        if (request.method === "POST" && url.pathname === "/contacts") {
          const records: Array<Record<string, unknown>> = JSON.parse(body)
          for (const record of records) upsert(record)
          return send(response, 200, { upserted: records.length })
        }
        return send(response, 404, { error: "not found" })
      })()
    })
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      resume(Effect.succeed({ server, state: Object.assign(state, { url: `http://127.0.0.1:${port}` }) }))
    })
  }),
  ({ server }) =>
    Effect.callback<void>((resume) => {
      server.closeAllConnections()
      server.close(() => resume(Effect.void))
    })
)

export const layer = Layer.effect(
  FakeRemote,
  Effect.map(start, ({ state }) => state)
)

/** A loopback port nothing listens on (bound, then closed). */
export const closedPort = Effect.callback<number>((resume) => {
  const server = Http.createServer()
  server.listen(0, "127.0.0.1", () => {
    const { port } = server.address() as AddressInfo
    server.close(() => resume(Effect.succeed(port)))
  })
})
