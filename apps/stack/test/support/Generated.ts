/**
 * What the generated edge suites (`Fuzz.test.ts`, `AuthMatrix.test.ts`) share: every served
 * contract (from `ContractServer`'s `ServedContracts`, so an app mounted in `Stack.apps` is covered
 * without touching the suites), raw HTTP requests on the test's loopback server (exact paths,
 * methods, headers and bytes, with a keep-alive agent), tokens of every kind, a seeded RNG, wire
 * inputs from the contracts' schemas, and status histograms.
 */
import { createHmac } from "node:crypto"
import * as Http from "node:http"
import type { AnyContract, Principal } from "@tessera/contract-kit/Contract"
import { jsonCodec } from "@tessera/contract-kit/internal/Codec"
import * as Auth from "@tessera/contract-server/Auth"
import { ServedContracts } from "@tessera/contract-server/EdgeRoutes"
import * as AppTest from "@tessera/test-kit/AppTest"
import { Arbitrary, Clock, Effect, Redacted, Schema } from "effect"
import { HttpServer } from "effect/http"

/** Every contract the test's server serves, in mount order. */
export const servedContracts = Effect.gen(function* () {
  return [...(yield* ServedContracts)]
})

/** A seeded PRNG (mulberry32): the same seed, the same requests. */
export const rng = (seed: number) => {
  let state = seed >>> 0
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return {
    next,
    int: (max: number) => Math.floor(next() * max),
    pick: <A>(items: readonly [A, ...Array<A>]): A => items[Math.floor(next() * items.length)] ?? items[0]
  }
}
export type Rng = ReturnType<typeof rng>

export interface RawRequest {
  readonly operation: string
  readonly kind: string
  readonly method: string
  readonly path: string
  readonly headers: Readonly<Record<string, string>>
  readonly body?: string | Buffer | undefined
}

export interface RawResponse {
  readonly request: RawRequest
  readonly status: number
  readonly contentType: string
  readonly body: string
}

/** The port of the test's server. */
export const serverPort = Effect.gen(function* () {
  const server = yield* HttpServer.HttpServer
  return "port" in server.address ? server.address.port : 0
})

/** Sends requests as written (no URL normalization) on a keep-alive agent. */
export const makeSender = (port: number) => {
  const agent = new Http.Agent({ keepAlive: true, maxSockets: 32 })
  const send = (request: RawRequest) =>
    Effect.callback<RawResponse>((resume) => {
      const outgoing = Http.request(
        {
          host: "127.0.0.1",
          port,
          agent,
          method: request.method,
          path: request.path,
          headers: {
            ...request.headers,
            ...(request.body === undefined ? {} : { "content-length": String(Buffer.byteLength(request.body)) })
          }
        },
        (incoming) => {
          const chunks: Array<Buffer> = []
          incoming.on("data", (chunk: Buffer) => chunks.push(chunk))
          incoming.on("end", () =>
            resume(
              Effect.succeed({
                request,
                status: incoming.statusCode ?? 0,
                contentType: String(incoming.headers["content-type"] ?? ""),
                body: Buffer.concat(chunks).toString("utf8")
              })
            )
          )
        }
      )
      outgoing.on("error", (error) =>
        resume(Effect.succeed({ request, status: 0, contentType: "", body: `client error: ${error.message}` }))
      )
      if (request.body !== undefined) outgoing.write(request.body)
      outgoing.end()
    })
  return { send, close: () => agent.destroy() }
}

/** The caller's principals: the organization under test and another one. */
export const ORG = "org_fuzz"
export const OTHER_ORG = "org_other"
export const admin: Principal = { userId: "fuzz-admin", organizationId: ORG, roles: ["admin"] }
export const user: Principal = { userId: "fuzz-user", organizationId: ORG, roles: [] }
export const service: Principal = { userId: "fuzz-service", organizationId: ORG, roles: [], kind: "service" }
export const otherOrgAdmin: Principal = { userId: "other-admin", organizationId: OTHER_ORG, roles: ["admin"] }

export const mint = (principal: Principal) => AppTest.auth.mint(principal)

/** A token that expired an hour ago (minted on a clock two days back, valid for a day). */
export const expiredToken = (principal: Principal) =>
  Effect.gen(function* () {
    const now = yield* Clock.currentTimeMillis
    const past = now - 2 * 24 * 3600 * 1000
    const clock: Clock.Clock = {
      currentTimeMillisUnsafe: () => past,
      currentTimeMillis: Effect.succeed(past),
      currentTimeNanosUnsafe: () => BigInt(past) * 1_000_000n,
      currentTimeNanos: Effect.succeed(BigInt(past) * 1_000_000n),
      monotonicTimeNanosUnsafe: () => BigInt(past) * 1_000_000n,
      monotonicTimeNanos: Effect.succeed(BigInt(past) * 1_000_000n),
      sleep: () => Effect.void
    }
    return yield* AppTest.auth.mint(principal, { expiresIn: "1 day" }).pipe(Effect.provideService(Clock.Clock, clock))
  })

/** Signed with a secret the server does not know. */
export const otherSecretToken = (principal: Principal) =>
  Auth.make(Redacted.make("a-different-secret-0123456789-abcdefghijkl"), "test").mint(principal)

const base64url = (value: string | Buffer) => Buffer.from(value).toString("base64url")

/** An unsigned token (`alg: none`) with otherwise perfect claims. */
export const algNoneToken = (principal: Principal) =>
  Effect.map(Clock.currentTimeMillis, (now) => {
    const seconds = Math.floor(now / 1000)
    const header = base64url(JSON.stringify({ alg: "none", typ: "JWT" }))
    const payload = base64url(
      JSON.stringify({
        sub: principal.userId,
        org: principal.organizationId,
        roles: principal.roles,
        iss: Auth.ISSUER,
        iat: seconds,
        exp: seconds + 3600
      })
    )
    return `${header}.${payload}.`
  })

/** An HS256 token whose signature is made with the right algorithm but a guessed key (`secret`). */
export const guessedKeyToken = (principal: Principal) =>
  Effect.map(Clock.currentTimeMillis, (now) => {
    const seconds = Math.floor(now / 1000)
    const header = base64url(JSON.stringify({ alg: "HS256", typ: "JWT" }))
    const payload = base64url(
      JSON.stringify({ sub: principal.userId, org: principal.organizationId, iss: Auth.ISSUER, exp: seconds + 3600 })
    )
    const signature = createHmac("sha256", "secret").update(`${header}.${payload}`).digest("base64url")
    return `${header}.${payload}.${signature}`
  })

/** The token a contract's policy admits, for requests meant to reach its input decoding. */
export const admittedPrincipal = (contract: AnyContract): Principal =>
  contract.policy.auth === "service" ? service : admin

/** Wire (encoded JSON) inputs for a contract: its acceptance examples, then schema samples. */
export const wireInputs = (contract: AnyContract, count: number, seed: number) =>
  Effect.gen(function* () {
    const examples = contract.acceptance.examples.map((example) => example.input)
    const encode = Schema.encodeUnknownExit(jsonCodec(contract.input))
    const sampled = yield* Arbitrary.sampleEffect(Arbitrary.schema(contract.input), { count, seed, size: 8 }).pipe(
      Effect.orElseSucceed((): ReadonlyArray<unknown> => [])
    )
    const encoded = sampled.flatMap((value) => {
      const exit = encode(value)
      return exit._tag === "Success" ? [exit.value] : []
    })
    const all = [...examples, ...encoded]
    return all.length > 0 ? all : [{}]
  })

/** A GET contract's input as a query string (arrays as repeated keys, objects as JSON). */
export const queryString = (input: unknown): string => {
  if (input === null || typeof input !== "object" || Array.isArray(input)) return ""
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(input)) {
    const values: ReadonlyArray<unknown> = Array.isArray(value) ? value : [value]
    for (const item of values) {
      params.append(key, typeof item === "string" ? item : (JSON.stringify(item) ?? ""))
    }
  }
  const text = params.toString()
  return text === "" ? "" : `?${text}`
}

/** A JSON request for `contract` with `input`, as the contract expects it. */
export const callOf = (
  contract: AnyContract,
  kind: string,
  input: unknown,
  headers: Readonly<Record<string, string>>
): RawRequest =>
  contract.http.method === "GET"
    ? { operation: contract.key, kind, method: "GET", path: `${contract.http.path}${queryString(input)}`, headers }
    : {
        operation: contract.key,
        kind,
        method: contract.http.method,
        path: contract.http.path,
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify(input)
      }

/** Status → count. */
export const histogram = (responses: ReadonlyArray<RawResponse>): Record<string, number> => {
  const counts: Record<string, number> = {}
  for (const response of responses) counts[String(response.status)] = (counts[String(response.status)] ?? 0) + 1
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)))
}

/** Why an error answer is not a proper problem+json body; `undefined` when it is. */
export const problemDefect = (response: RawResponse): string | undefined => {
  if (response.status < 400 || response.request.method === "HEAD") return undefined
  if (!response.contentType.startsWith("application/problem+json")) return `content-type ${response.contentType}`
  const body: unknown = (() => {
    try {
      return JSON.parse(response.body)
    } catch {
      return undefined
    }
  })()
  if (body === null || typeof body !== "object") return "body is not a JSON object"
  if (!("status" in body) || body.status !== response.status) return "body.status differs from the status"
  if (!("code" in body) || typeof body.code !== "string") return "no code"
  if ("_tag" in body) return "carries _tag"
  return undefined
}
