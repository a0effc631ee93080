/**
 * The HTTP edge around the apps' routes: paths are exact (case-sensitive, no `//`, no trailing
 * `/`, no `;params`, no `.`/`..` segments — each of those is a 404, not a way to reach a handler),
 * and a request no route takes answers problem+json: 405 with `Allow` when the path is served with
 * other methods, 404 otherwise.
 *
 * `KnownRoutes` collects each served path's methods (`ContractServer.layer` registers its
 * contracts, OpenAPI and docs paths); `serve` (in `ContractServer`) provides one per server and
 * adds the catch-all route below.
 */
import { randomUUID } from "node:crypto"
import type { AnyContract } from "@tessera/contract-kit/Contract"
import { MethodNotAllowed, RouteNotFound } from "@tessera/contract-kit/ContractError"
import { Context, Effect } from "effect"
import { HttpRouter, type HttpServerRequest } from "effect/http"
import * as Problem from "./Problem.ts"
import { headerId } from "./RequestInput.ts"

/** Path → methods served there, for 405 answers. One per server. */
export const KnownRoutes = Context.Reference<Map<string, Set<string>>>("@tessera/contract-server/KnownRoutes", {
  defaultValue: () => new Map()
})

/**
 * Every contract served by the server, in mount order: what generated suites (fuzzing, the auth
 * matrix) read to cover every operation of every mounted app. One per server, like `KnownRoutes`.
 */
export const ServedContracts = Context.Reference<Array<AnyContract>>("@tessera/contract-server/ServedContracts", {
  defaultValue: () => []
})

/** Records that `method path` is served. */
export const register = (method: string, path: string) =>
  Effect.gen(function* () {
    const routes = yield* KnownRoutes
    const methods = routes.get(path) ?? new Set<string>()
    methods.add(method)
    if (method === "GET") methods.add("HEAD")
    routes.set(path, methods)
  })

/** The router settings that make paths exact. */
export const routerConfig = { caseSensitive: true, ignoreDuplicateSlashes: false, ignoreTrailingSlash: false }

/** The path of a request URL, as sent (no query string). */
export const pathOf = (url: string): string => {
  const end = url.search(/[?#]/)
  return end === -1 ? url : url.slice(0, end)
}

/** The 404/405 answer for a request no route took. */
export const unrouted = (request: HttpServerRequest.HttpServerRequest, routes: Map<string, Set<string>>) => {
  const requestId = headerId(request, "x-request-id") ?? randomUUID()
  const path = pathOf(request.url)
  const methods = routes.get(path)
  if (methods !== undefined && !methods.has(request.method)) {
    const allow = [...methods].sort()
    return Problem.kit(
      new MethodNotAllowed({ allow, detail: `${path} is served with ${allow.join(", ")}, not ${request.method}` }),
      requestId
    )
  }
  return Problem.kit(new RouteNotFound({ detail: "No operation is served at this path" }), requestId)
}

/** The catch-all route: every request no other route takes. */
export const layer = HttpRouter.use(
  Effect.fn(function* (router) {
    const routes = yield* KnownRoutes
    yield* router.add("*", "/*", (request) => Effect.succeed(unrouted(request, routes)))
  })
)
