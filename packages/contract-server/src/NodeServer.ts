/**
 * The Node HTTP server every Tessera process listens with, bounded against slow clients: the
 * headers must arrive within `headersTimeout` and the whole request (a body shorter than its
 * `Content-Length` included) within `requestTimeout`, else Node answers `408 Request Timeout` and
 * closes the connection; an idle keep-alive connection closes after `keepAliveTimeout`. Node checks
 * every `connectionsCheckingInterval`. `maxConnections` bounds open connections (Node has no
 * per-client limit: a proxy in front should bound connections per client).
 *
 * Environment overrides: `TESSERA_HTTP_HEADERS_TIMEOUT_MS`, `TESSERA_HTTP_REQUEST_TIMEOUT_MS`,
 * `TESSERA_HTTP_KEEP_ALIVE_TIMEOUT_MS`, `TESSERA_HTTP_MAX_CONNECTIONS`.
 */
import { createServer, type Server } from "node:http"

export interface Limits {
  readonly headersTimeout: number
  readonly requestTimeout: number
  readonly keepAliveTimeout: number
  readonly connectionsCheckingInterval: number
  readonly maxConnections: number
  readonly maxHeaderSize: number
}

export const DEFAULT_LIMITS: Limits = {
  headersTimeout: 10_000,
  requestTimeout: 30_000,
  keepAliveTimeout: 5_000,
  connectionsCheckingInterval: 1_000,
  maxConnections: 10_000,
  maxHeaderSize: 16 * 1024
}

const positive = (value: string | undefined, fallback: number) => {
  const parsed = Number(value)
  return Number.isInteger(parsed) && parsed > 0 ? parsed : fallback
}

/** {@link DEFAULT_LIMITS} with the environment's overrides. */
export const limitsFromEnv = (env: Readonly<Record<string, string | undefined>> = process.env): Limits => ({
  ...DEFAULT_LIMITS,
  headersTimeout: positive(env.TESSERA_HTTP_HEADERS_TIMEOUT_MS, DEFAULT_LIMITS.headersTimeout),
  requestTimeout: positive(env.TESSERA_HTTP_REQUEST_TIMEOUT_MS, DEFAULT_LIMITS.requestTimeout),
  keepAliveTimeout: positive(env.TESSERA_HTTP_KEEP_ALIVE_TIMEOUT_MS, DEFAULT_LIMITS.keepAliveTimeout),
  maxConnections: positive(env.TESSERA_HTTP_MAX_CONNECTIONS, DEFAULT_LIMITS.maxConnections)
})

/** A `node:http` server with `limits` (default: {@link limitsFromEnv}). */
export const create = (limits: Limits = limitsFromEnv()): Server => {
  const server = createServer({
    headersTimeout: Math.min(limits.headersTimeout, limits.requestTimeout),
    requestTimeout: limits.requestTimeout,
    keepAliveTimeout: limits.keepAliveTimeout,
    connectionsCheckingInterval: limits.connectionsCheckingInterval,
    maxHeaderSize: limits.maxHeaderSize
  })
  server.maxConnections = limits.maxConnections
  return server
}
