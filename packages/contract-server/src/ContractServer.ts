/**
 * Serving a catalog of implementations: `ContractServer.layer({ domain, catalog })` validates the
 * catalog, registers one HttpApi endpoint per contract on the app's `HttpRouter`, plus
 * `/openapi.json` and a Scalar docs page, and runs every call through the same pipeline:
 *
 *   read body (413 over the limit) → decode input, unknown properties rejected (400 with issues)
 *   → authenticate the bearer token (401) → authorize by policy (403) → open a transaction
 *   → [idempotency claim] → handler → emitted events via `EventSink` + audit row → commit
 *   → encode output.
 *
 * Declared errors answer `application/problem+json` with their status and code; anything else is a
 * 500 carrying only the request id (the cause goes to the log). Several apps can mount their
 * layers on one router (`apps/stack`), each with its own paths.
 */
import { createHash, randomUUID } from "node:crypto"
import * as Catalog from "@tessera/contract-kit/Catalog"
import { type AnyContract, type AnyEvent, domainOf, type Principal } from "@tessera/contract-kit/Contract"
import * as ContractApi from "@tessera/contract-kit/ContractApi"
import {
  Forbidden,
  IdempotencyKeyReused,
  InternalError,
  InvalidInput,
  kitErrors,
  PayloadTooLarge,
  Unauthenticated
} from "@tessera/contract-kit/ContractError"
import { dataCodec, jsonCodec } from "@tessera/contract-kit/internal/Codec"
import { errorInfo } from "@tessera/contract-kit/internal/ErrorInfo"
import * as Issues from "@tessera/contract-kit/internal/Issues"
import { EventSink, type OutgoingEvent } from "@tessera/envelope/EventSink"
import type * as Registry from "@tessera/envelope/Registry"
import { ByteSize, Clock, Config, Data, Effect, Layer, Option, Schema } from "effect"
import type { HttpServerError } from "effect/http"
import { HttpIncomingMessage, HttpRouter, HttpServerRequest, HttpServerResponse } from "effect/http"
import { HttpApiBuilder, type HttpApiGroup, HttpApiScalar } from "effect/http-api"
import { SqlClient, SqlSchema } from "effect/sql"
import { Auth } from "./Auth.ts"
import {
  CallContext,
  type CallHandlerContext,
  type EmitOptions,
  type Implementation,
  type RequirementsOf
} from "./Implementation.ts"

/** A handler emitted an event its contract does not declare: a bug, answered as a 500. */
export class UndeclaredEvent extends Data.TaggedError("UndeclaredEvent")<{
  readonly contract: string
  readonly event: string
}> {
  override get message(): string {
    return `${this.contract} emitted ${this.event}, which it does not declare`
  }
}

/** A handler failed with an error its contract does not declare: a bug, answered as a 500. */
export class UndeclaredError extends Data.TaggedError("UndeclaredError")<{
  readonly contract: string
  readonly error: unknown
}> {
  override get message(): string {
    return `${this.contract} failed with an error it does not declare: ${String(this.error)}`
  }
}

/** A handler's declared error, carried through the pipeline until it becomes a problem answer. */
class DeclaredFailure extends Data.TaggedError("DeclaredFailure")<{ readonly error: unknown }> {}

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024

export interface LayerOptions<Impls extends ReadonlyArray<Implementation>> {
  /** The domain served: every contract key starts with it (`crm`). */
  readonly domain: string
  /** One implementation per contract of the domain. */
  readonly catalog: Impls
  /** The event registry: emitted events must be registered, with this domain as producer. */
  readonly registry?: Registry.Registry | undefined
  /** Known event definitions, when there is no registry: emitted events must be among them. */
  readonly events?: ReadonlyArray<AnyEvent> | undefined
  /** Request bodies above this size answer 413. Default 1 MiB. */
  readonly maxBodyBytes?: number | undefined
  /** Where the OpenAPI document is served; `false` to serve none. Default `/openapi.json`. */
  readonly openapiPath?: `/${string}` | false | undefined
  /** Where the browsable docs page is served (Scalar, bundled: works offline); `false` for none. Default `/docs`. */
  readonly docsPath?: `/${string}` | false | undefined
}

/** What a call's pipeline needs besides the handler's own services. */
type PipelineServices = Auth | SqlClient.SqlClient | EventSink

const IdempotencyRecord = Schema.Struct({
  request_hash: Schema.String,
  status: Schema.NullOr(Schema.Number),
  body: Schema.Unknown
})

type Answer = { readonly status: number; readonly body: unknown; readonly replayed: boolean }

const json = (status: number, body: unknown, headers: Record<string, string>, contentType?: string) =>
  HttpServerResponse.jsonUnsafe(body, { status, headers, ...(contentType === undefined ? {} : { contentType }) })

/** A header value, when present and sane (opaque ids: letters, digits, `-_.:`, at most 128). */
const headerId = (request: HttpServerRequest.HttpServerRequest, name: string): string | undefined => {
  const value = request.headers[name]
  return value !== undefined && /^[A-Za-z0-9._:-]{1,128}$/.test(value) ? value : undefined
}

/** Canonical JSON (sorted keys): the same input hashes the same however it was spelled. */
const canonicalJson = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(",")}}`
  }
  return JSON.stringify(value) ?? "null"
}

const isBodyTooLarge = (error: HttpServerError.HttpServerError) =>
  error.reason._tag === "RequestParseError" && error.reason.reason === "BodyTooLarge"

const readJsonBody = (request: HttpServerRequest.HttpServerRequest, limit: number) =>
  Effect.gen(function* () {
    const declared = Number(request.headers["content-length"] ?? "0")
    if (Number.isFinite(declared) && declared > limit) {
      return yield* new PayloadTooLarge({ limit, detail: `The body is ${declared} bytes; the limit is ${limit}` })
    }
    const bytes = yield* request.arrayBuffer.pipe(
      Effect.provideService(HttpIncomingMessage.MaxBodySize, ByteSize.bytes(limit)),
      Effect.mapError((error) =>
        isBodyTooLarge(error)
          ? new PayloadTooLarge({ limit, detail: `The body exceeds the limit of ${limit} bytes` })
          : new InvalidInput({ detail: "The request body could not be read", issues: [] })
      )
    )
    const text = new TextDecoder().decode(bytes)
    return yield* Effect.try({
      try: (): unknown => JSON.parse(text),
      catch: () => new InvalidInput({ detail: "The request body is not valid JSON", issues: [] })
    })
  })

/** The 500 answer: the `InternalError` problem, carrying only the request id. */
const internalError = (requestId: string) => {
  const error = new InternalError({ requestId, detail: `Unexpected failure; quote request id ${requestId}` })
  return json(
    500,
    { type: "about:blank", ...Schema.encodeSync(InternalError)(error), instance: requestId },
    { "x-request-id": requestId },
    "application/problem+json"
  )
}

/** The query parameters of a GET call: its input, before decoding. */
const queryOf = (request: HttpServerRequest.HttpServerRequest) =>
  Option.match(HttpServerRequest.toURL(request), {
    onNone: () => ({}),
    onSome: (url) => HttpServerRequest.searchParamsFromURL(url)
  })

const authenticate = (request: HttpServerRequest.HttpServerRequest, contract: AnyContract) =>
  Effect.gen(function* () {
    const header = request.headers.authorization
    if (header === undefined || header.trim() === "") {
      if (contract.policy.auth === "anonymous") return undefined
      return yield* new Unauthenticated({ detail: "A bearer token is required" })
    }
    const match = /^Bearer\s+(\S+)$/i.exec(header.trim())
    if (match?.[1] === undefined) {
      return yield* new Unauthenticated({ detail: "The Authorization header must be 'Bearer <token>'" })
    }
    const auth = yield* Auth
    return yield* auth.verify(match[1]).pipe(
      Effect.mapError(
        (error) =>
          new Unauthenticated({
            detail: error.reason === "ERR_JWT_EXPIRED" ? "The bearer token has expired" : "The bearer token is invalid"
          })
      )
    )
  })

const authorize = (contract: AnyContract, principal: Principal | undefined) =>
  Effect.gen(function* () {
    const { auth, roles } = contract.policy
    if (auth === "anonymous" && (roles === undefined || roles.length === 0)) return
    if (principal === undefined) return yield* new Unauthenticated({ detail: "A bearer token is required" })
    if (auth === "admin" && !principal.roles.includes("admin")) {
      return yield* new Forbidden({ detail: `${contract.key} requires the admin role` })
    }
    if (roles !== undefined && roles.length > 0 && !roles.some((role) => principal.roles.includes(role))) {
      return yield* new Forbidden({ detail: `${contract.key} requires one of the roles: ${roles.join(", ")}` })
    }
  })

/** Everything a call needs that does not change between calls of one contract. */
const prepare = <R>(implementation: Implementation<AnyContract, R>, maxBodyBytes: number) => {
  const { contract } = implementation
  const domain = domainOf(contract)
  const fromQuery = contract.http.method === "GET"
  const decodeInput = Schema.decodeUnknownEffect(
    fromQuery
      ? dataCodec(Schema.toCodecArrayFromSingle(Schema.toCodecStringTree(dataCodec(contract.input))))
      : jsonCodec(contract.input),
    { onExcessProperty: "error", errors: "all" }
  )
  const encodeOutput = Schema.encodeUnknownEffect(jsonCodec(contract.output))
  const declaredErrors = contract.errors.map((schema) => ({
    schema,
    is: Schema.is(jsonCodec(schema)),
    encode: Schema.encodeUnknownEffect(jsonCodec(schema)),
    info: errorInfo(schema)
  }))
  const kit = kitErrors.map((schema) => ({
    is: Schema.is(jsonCodec(schema)),
    encode: Schema.encodeUnknownEffect(jsonCodec(schema)),
    info: errorInfo(schema)
  }))
  const declaredEvents = new Set(contract.emits.map(({ event }) => `${event.type}@${event.version}`))

  /** A declared or kit error as its problem+json answer; `undefined` for anything else. */
  const problem = (error: unknown, requestId: string) =>
    Effect.gen(function* () {
      const match = declaredErrors.find((entry) => entry.is(error)) ?? kit.find((entry) => entry.is(error))
      if (match === undefined) return undefined
      const encoded = yield* match.encode(error).pipe(Effect.orDie)
      const status = match.info.status ?? 500
      const body = {
        type: "about:blank",
        title: match.info.title,
        status,
        code: match.info.code,
        ...(typeof encoded === "object" && encoded !== null ? encoded : {}),
        instance: requestId
      }
      return json(status, body, { "x-request-id": requestId }, "application/problem+json")
    })

  const inTransaction = contract.kind === "command" || contract.audit !== false

  const transaction = (
    input: unknown,
    body: unknown,
    principal: Principal | undefined,
    request: HttpServerRequest.HttpServerRequest,
    ids: { readonly requestId: string; readonly correlationId: string }
  ) =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const sink = yield* EventSink
      const now = new Date(yield* Clock.currentTimeMillis)
      const findIdempotencyRecord = SqlSchema.findOneOption({
        Request: Schema.Struct({ organizationId: Schema.String, operation: Schema.String, key: Schema.String }),
        Result: IdempotencyRecord,
        execute: ({ organizationId, operation, key }) => sql`
          SELECT request_hash, status, body FROM contract_kit.idempotency_keys
          WHERE organization_id = ${organizationId} AND operation = ${operation} AND key = ${key}`
      })

      const idempotencyKey = contract.idempotent ? request.headers[ContractApi.IDEMPOTENCY_HEADER] : undefined
      const organizationId = principal?.organizationId ?? ""
      if (idempotencyKey !== undefined && idempotencyKey !== "") {
        const requestHash = createHash("sha256").update(canonicalJson(body)).digest("hex")
        // Concurrent retries wait here on the primary key until the first call commits or rolls back.
        const claimed = yield* sql`
          INSERT INTO contract_kit.idempotency_keys (organization_id, operation, key, request_hash, created_at)
          VALUES (${organizationId}, ${contract.key}, ${idempotencyKey}, ${requestHash}, ${now})
          ON CONFLICT DO NOTHING
          RETURNING key`
        if (claimed.length === 0) {
          const stored = yield* findIdempotencyRecord({ organizationId, operation: contract.key, key: idempotencyKey })
          if (Option.isNone(stored) || stored.value.request_hash !== requestHash || stored.value.status === null) {
            return yield* new IdempotencyKeyReused({
              detail: `Idempotency-Key ${idempotencyKey} was used for ${contract.key} with a different body`
            })
          }
          return { status: stored.value.status, body: stored.value.body, replayed: true } satisfies Answer
        }
      }

      const emitted: Array<OutgoingEvent> = []
      const context: CallHandlerContext = {
        contract,
        actor: principal,
        requestId: ids.requestId,
        correlationId: ids.correlationId,
        emit: (event: AnyEvent, payload: unknown, options?: EmitOptions) =>
          Effect.suspend(() => {
            const id = `${event.type}@${event.version}`
            if (!declaredEvents.has(id)) {
              return Effect.die(new UndeclaredEvent({ contract: contract.key, event: id }))
            }
            emitted.push({ definition: event, payload, subject: options?.subject, occurredAt: options?.occurredAt })
            return Effect.void
          })
      }
      const output = yield* implementation.run(input, context).pipe(
        Effect.provideService(CallContext, {
          contractKey: contract.key,
          actor: principal,
          requestId: ids.requestId,
          correlationId: ids.correlationId
        }),
        Effect.catch((error) =>
          declaredErrors.some((entry) => entry.is(error))
            ? Effect.fail(new DeclaredFailure({ error }))
            : Effect.die(new UndeclaredError({ contract: contract.key, error }))
        )
      )

      const eventIds =
        emitted.length === 0 || principal === undefined
          ? []
          : yield* sink
              .publish(emitted, {
                producer: domain,
                organizationId: principal.organizationId,
                actor: { type: "user", id: principal.userId },
                correlationId: ids.correlationId,
                causationId: headerId(request, "x-causation-id"),
                traceparent: request.headers.traceparent
              })
              .pipe(Effect.orDie)
      if (emitted.length > 0 && principal === undefined) {
        return yield* Effect.die(new UndeclaredEvent({ contract: contract.key, event: "(anonymous call)" }))
      }

      if (contract.audit !== false) {
        yield* sql`
          INSERT INTO contract_kit.audit_log ${sql.insert({
            occurred_at: now,
            organization_id: principal?.organizationId ?? null,
            actor_type: principal === undefined ? "anonymous" : "user",
            actor_id: principal?.userId ?? null,
            contract_key: contract.key,
            contract_version: contract.version,
            action: contract.audit.action,
            request_id: ids.requestId,
            correlation_id: ids.correlationId,
            input: contract.audit.input ? JSON.stringify(body) : null,
            event_ids: eventIds
          })}`
      }

      const encoded = yield* encodeOutput(output).pipe(Effect.orDie)
      if (idempotencyKey !== undefined && idempotencyKey !== "") {
        yield* sql`
          UPDATE contract_kit.idempotency_keys SET status = 200, body = ${JSON.stringify(encoded)}
          WHERE organization_id = ${organizationId} AND operation = ${contract.key} AND key = ${idempotencyKey}`
      }
      return { status: 200, body: encoded, replayed: false } satisfies Answer
    }).pipe(
      // Commands (and audited queries) run in one transaction with their events and audit row. A
      // plain query has nothing to commit: its statements run on the pool directly, one round trip
      // each instead of BEGIN … COMMIT around them.
      (effect) => (inTransaction ? Effect.flatMap(SqlClient.SqlClient, (sql) => sql.withTransaction(effect)) : effect),
      // A database failure is not the caller's to act on: a 500 that leaks nothing.
      Effect.catchTag("SqlError", (error) => Effect.die(error))
    )

  const call = (request: HttpServerRequest.HttpServerRequest) =>
    Effect.gen(function* () {
      const requestId = headerId(request, "x-request-id") ?? randomUUID()
      const correlationId = headerId(request, "x-correlation-id") ?? requestId
      const answer = yield* Effect.gen(function* () {
        const body = fromQuery ? queryOf(request) : yield* readJsonBody(request, maxBodyBytes)
        const input = yield* decodeInput(body).pipe(
          Effect.mapError(
            (error) =>
              new InvalidInput({
                detail: `The input does not match ${contract.key}@${contract.version}`,
                issues: Issues.flatten(error.issue)
              })
          )
        )
        const principal = yield* authenticate(request, contract)
        yield* authorize(contract, principal)
        return yield* transaction(input, body, principal, request, { requestId, correlationId })
      }).pipe(
        Effect.map((answer) =>
          json(answer.status, answer.body, {
            "x-request-id": requestId,
            ...(answer.replayed ? { "idempotent-replayed": "true" } : {})
          })
        ),
        Effect.catch((failure) =>
          Effect.flatMap(
            problem(failure._tag === "DeclaredFailure" ? failure.error : failure, requestId),
            (response) =>
              response === undefined
                ? Effect.die(new UndeclaredError({ contract: contract.key, error: failure }))
                : Effect.succeed(response)
          )
        ),
        Effect.catchCause((cause) =>
          Effect.as(
            Effect.logError(`${contract.key} failed`, cause).pipe(
              Effect.annotateLogs({ requestId, contract: contract.key })
            ),
            internalError(requestId)
          )
        )
      )
      return answer
    }).pipe(Effect.withSpan(`contract ${contract.key}`, { attributes: { "contract.key": contract.key } }))

  return { contract, call }
}

/**
 * The erased view of `HttpApiBuilder.group` the loop below uses: the group's endpoints are known
 * only at run time (one per implementation), and the builder's per-endpoint bookkeeping types
 * cannot follow a loop. Every endpoint is handled raw (the kit reads and decodes the body itself).
 */
interface RawHandlers<R> {
  handleRaw(
    endpoint: string,
    handler: (request: {
      readonly request: HttpServerRequest.HttpServerRequest
    }) => Effect.Effect<HttpServerResponse.HttpServerResponse, never, R>
  ): RawHandlers<R>
}
type GroupBuilder = <R>(
  api: ContractApi.ContractHttpApi<string, AnyContract>,
  group: string,
  build: (handlers: RawHandlers<R>) => RawHandlers<R>
) => Layer.Layer<HttpApiGroup.Service<string, string>, never, R>

/**
 * Registers the catalog's routes on the app's `HttpRouter`. Build it once per app (module-level
 * constant) and merge several apps' layers to serve them from one process.
 */
export const layer = <const Impls extends ReadonlyArray<Implementation>>(options: LayerOptions<Impls>) => {
  const contracts = options.catalog.map((implementation) => implementation.contract)
  const api = ContractApi.make(options.domain, contracts)
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  const openapiPath = options.openapiPath ?? "/openapi.json"
  const docsPath = options.docsPath ?? "/docs"

  const routes = Layer.unwrap(
    Effect.gen(function* () {
      yield* Catalog.validate(contracts, { domain: options.domain, events: options.events, registry: options.registry })
      // Each implementation needs a part of `RequirementsOf<Impls[number]>`, plus the per-call
      // `CallContext` the pipeline provides; the compiler cannot see that through the generic tuple.
      const implementations = options.catalog as ReadonlyArray<
        Implementation<AnyContract, RequirementsOf<Impls[number]> | CallContext>
      >
      const prepared = implementations.map((implementation) => prepare(implementation, maxBodyBytes))
      // See `GroupBuilder`: the loop registers exactly one raw handler per endpoint of `api`.
      const group = (HttpApiBuilder.group as unknown as GroupBuilder)<PipelineServices | RequirementsOf<Impls[number]>>(
        api,
        options.domain,
        (handlers) =>
          prepared.reduce(
            (registered, { contract, call }) => registered.handleRaw(contract.key, ({ request }) => call(request)),
            handlers
          )
      )
      const apiRoutes = HttpApiBuilder.layer(api, openapiPath === false ? {} : { openapiPath }).pipe(
        Layer.provide(group)
      )
      return docsPath === false ? apiRoutes : Layer.merge(apiRoutes, HttpApiScalar.layer(api, { path: docsPath }))
    })
  )
  return routes
}

/**
 * Serves routes with `HttpRouter.serve`, logging every request only when `TESSERA_HTTP_LOG=true`
 * (the request logger costs about two thirds of the throughput).
 */
export const serve = <A, E, R>(routes: Layer.Layer<A, E, R>) =>
  Layer.unwrap(
    Effect.map(Config.Boolean("TESSERA_HTTP_LOG").pipe(Config.withDefault(false)), (log) =>
      HttpRouter.serve(routes, { disableLogger: !log })
    )
  )
