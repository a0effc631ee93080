/**
 * Serving a catalog of implementations: `ContractServer.layer({ domain, catalog })` validates the
 * catalog, registers one HttpApi endpoint per contract on the app's `HttpRouter`, plus
 * `/openapi.json` and a Scalar docs page, and runs every call through the same pipeline:
 *
 *   exact path (404) → declared length (413) → authenticate the bearer token (401) → authorize by
 *   policy (403) → `Idempotency-Key` (400 when malformed) → read the input: JSON body (415, 413,
 *   400) or query string, edge checks shared by every contract (400) → decode, unknown properties
 *   rejected (400 with issues) → open a transaction → idempotency claim (replay or 422) → handler
 *   → emitted events via `EventSink` + audit row → commit → encode output.
 *
 * Each step lives in its own module: `RequestInput` (body, query, headers), `CallAuth`,
 * `Idempotency`, `EmitCapture`, `AuditLog`, `Problem` (answers), `Failures` (what an unexpected
 * failure answers and how it is logged), `EdgeRoutes` (404/405 for what no route takes).
 *
 * Declared errors answer `application/problem+json` with their status and code; a database outage
 * answers 503 with `Retry-After`; anything else is a 500 carrying only the request id (the cause
 * goes to the log, rate limited). Several apps can mount their layers on one router
 * (`apps/stack`), each with its own paths.
 */
import { randomUUID } from "node:crypto"
import * as Catalog from "@tessera/contract-kit/Catalog"
import type { AnyContract, AnyEvent, Principal } from "@tessera/contract-kit/Contract"
import * as ContractApi from "@tessera/contract-kit/ContractApi"
import { InvalidInput, RouteNotFound } from "@tessera/contract-kit/ContractError"
import { dataCodec, jsonCodec } from "@tessera/contract-kit/internal/Codec"
import * as Issues from "@tessera/contract-kit/internal/Issues"
import type { EventSink } from "@tessera/envelope/EventSink"
import type * as Registry from "@tessera/envelope/Registry"
import { Clock, Config, Data, Effect, Layer, Schema } from "effect"
import { HttpRouter, type HttpServerRequest, type HttpServerResponse } from "effect/http"
import { HttpApiBuilder, type HttpApiGroup, HttpApiScalar } from "effect/http-api"
import { SqlClient } from "effect/sql"
import * as AuditLog from "./AuditLog.ts"
import type { Auth } from "./Auth.ts"
import * as CallAuth from "./CallAuth.ts"
import * as EdgeRoutes from "./EdgeRoutes.ts"
import * as EmitCapture from "./EmitCapture.ts"
import * as Failures from "./Failures.ts"
import * as Idempotency from "./Idempotency.ts"
import { CallContext, type CallHandlerContext, type Implementation, type RequirementsOf } from "./Implementation.ts"
import * as Problem from "./Problem.ts"
import * as RequestInput from "./RequestInput.ts"
import * as Telemetry from "./Telemetry.ts"

export { UndeclaredEvent } from "./EmitCapture.ts"

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

type Answer = { readonly status: number; readonly body: unknown; readonly replayed: boolean }

/** The facts of one call, once its input is read, decoded and its caller known. */
interface Call {
  readonly input: unknown
  readonly body: unknown
  readonly principal: Principal | undefined
  readonly idempotencyKey: string | undefined
  readonly requestId: string
  readonly correlationId: string
  readonly causationId: string | undefined
  readonly traceparent: string | undefined
}

type FailureLogger = ReturnType<typeof Failures.makeLogger>

/** Everything a call needs that does not change between calls of one contract. */
const prepare = <R>(
  implementation: Implementation<AnyContract, R>,
  maxBodyBytes: number,
  logFailure: FailureLogger
) => {
  const { contract } = implementation
  const fromQuery = contract.http.method === "GET"
  const isCommand = contract.kind === "command"
  const decodeInput = Schema.decodeUnknownEffect(
    fromQuery
      ? dataCodec(Schema.toCodecArrayFromSingle(Schema.toCodecStringTree(dataCodec(contract.input))))
      : jsonCodec(contract.input),
    { onExcessProperty: "error", errors: "all" }
  )
  const encodeOutput = Schema.encodeUnknownEffect(jsonCodec(contract.output))
  const problems = Problem.forContract(contract)
  // Span names and options built once; no stack trace per call (it costs more than the span).
  const contractSpan = `contract ${contract.key}`
  const handlerSpan = `handler ${contract.key}`
  const spanOptions = { attributes: { "contract.key": contract.key }, captureStackTrace: false }
  const events = EmitCapture.forContract(contract)
  // Commands (and audited queries) run in one transaction with their events and audit row. A
  // plain query has nothing to commit: its statements run on the pool directly, one round trip
  // each instead of BEGIN … COMMIT around them.
  const inTransaction = isCommand || contract.audit !== false

  /** The handler with its idempotency claim, events and audit row. */
  const run = (call: Call) =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const now = new Date(yield* Clock.currentTimeMillis)
      const claim =
        call.idempotencyKey === undefined
          ? undefined
          : {
              organizationId: call.principal?.organizationId ?? "",
              operation: contract.key,
              key: call.idempotencyKey,
              requestHash: Idempotency.hashOf(call.body)
            }
      if (claim !== undefined) {
        const claimed = yield* Idempotency.claim(sql, claim, now)
        if (claimed._tag === "Replay")
          return { status: claimed.status, body: claimed.body, replayed: true } satisfies Answer
      }

      const capture = events.capture()
      const context: CallHandlerContext = {
        contract,
        actor: call.principal,
        requestId: call.requestId,
        correlationId: call.correlationId,
        emit: capture.emit
      }
      const output = yield* implementation.run(call.input, context).pipe(
        Effect.provideService(CallContext, {
          contractKey: contract.key,
          actor: call.principal,
          requestId: call.requestId,
          correlationId: call.correlationId
        }),
        Effect.catch((error) =>
          problems.isDeclared(error)
            ? Effect.fail(new DeclaredFailure({ error }))
            : Effect.die(new UndeclaredError({ contract: contract.key, error }))
        ),
        Effect.withSpan(handlerSpan, spanOptions)
      )
      const eventIds = yield* capture.publish(call)
      yield* AuditLog.write(sql, contract, {
        principal: call.principal,
        requestId: call.requestId,
        correlationId: call.correlationId,
        input: call.body,
        eventIds,
        occurredAt: now
      })
      const encoded = yield* encodeOutput(output).pipe(Effect.orDie)
      if (claim !== undefined) yield* Idempotency.complete(sql, claim, 200, encoded)
      return { status: 200, body: encoded, replayed: false } satisfies Answer
    }).pipe((effect) =>
      inTransaction ? Effect.flatMap(SqlClient.SqlClient, (sql) => sql.withTransaction(effect)) : effect
    )

  /** The call before the handler: who calls, and with what input. */
  const admit = (request: HttpServerRequest.HttpServerRequest, requestId: string, correlationId: string) =>
    Effect.gen(function* () {
      if (!fromQuery) yield* RequestInput.checkDeclaredLength(request, maxBodyBytes)
      const principal = yield* CallAuth.authenticate(request, contract)
      yield* CallAuth.authorize(contract, principal)
      const idempotencyKey = isCommand ? yield* RequestInput.idempotencyKey(request) : undefined
      const body = fromQuery
        ? yield* RequestInput.queryInput(request)
        : yield* RequestInput.jsonBody(request, maxBodyBytes)
      const input = yield* decodeInput(body).pipe(
        Effect.mapError(
          (error) =>
            new InvalidInput({
              detail: `The input does not match ${contract.key}@${contract.version}`,
              issues: Issues.flatten(error.issue)
            })
        )
      )
      return {
        input,
        body,
        principal,
        idempotencyKey,
        requestId,
        correlationId,
        causationId: RequestInput.headerId(request, "x-causation-id"),
        traceparent: RequestInput.traceparent(request)
      } satisfies Call
    })

  const call = (request: HttpServerRequest.HttpServerRequest) =>
    Effect.suspend(() => {
      const requestId = RequestInput.headerId(request, "x-request-id") ?? randomUUID()
      if (EdgeRoutes.pathOf(request.url) !== contract.http.path) {
        return Effect.succeed(
          Problem.kit(new RouteNotFound({ detail: "No operation is served at this path" }), requestId)
        )
      }
      const correlationId = RequestInput.headerId(request, "x-correlation-id") ?? requestId
      return Effect.flatMap(admit(request, requestId, correlationId), run).pipe(
        Effect.map((answer) =>
          Problem.json(answer.status, answer.body, {
            "x-request-id": requestId,
            ...(answer.replayed ? { "idempotent-replayed": "true" } : {})
          })
        ),
        // A database failure is classified with the defects below (503 for an outage).
        Effect.catchTag("SqlError", (error) => Effect.die(error)),
        Effect.catch((failure) => {
          const response = problems.answerOf(failure._tag === "DeclaredFailure" ? failure.error : failure, requestId)
          return response === undefined
            ? Effect.die(new UndeclaredError({ contract: contract.key, error: failure }))
            : Effect.succeed(response)
        }),
        Effect.catchCause((cause) => {
          const classified = Failures.classify(cause)
          const error = Failures.answerOf(classified)
          return Effect.as(
            logFailure(contract.key, classified, cause, { requestId, contract: contract.key }),
            error === undefined ? Problem.internalError(requestId) : Problem.kit(error, requestId)
          )
        }),
        Effect.withSpan(contractSpan, spanOptions),
        Telemetry.measureCall(contract.key)
      )
    })

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
      const logFailure = Failures.makeLogger()
      const prepared = implementations.map((implementation) => prepare(implementation, maxBodyBytes, logFailure))
      for (const contract of contracts) yield* EdgeRoutes.register(contract.http.method, contract.http.path)
      ;(yield* EdgeRoutes.ServedContracts).push(...contracts)
      if (openapiPath !== false) yield* EdgeRoutes.register("GET", openapiPath)
      if (docsPath !== false) yield* EdgeRoutes.register("GET", docsPath)
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
 * Serves routes with `HttpRouter.serve` on exact paths, answering what no route takes with a
 * problem+json 404 or 405 (`EdgeRoutes`), and logging every request only when
 * `TESSERA_HTTP_LOG=true` (the request logger costs about two thirds of the throughput).
 */
export const serve = <A, E, R>(routes: Layer.Layer<A, E, R>) =>
  Layer.unwrap(
    Effect.map(Config.Boolean("TESSERA_HTTP_LOG").pipe(Config.withDefault(false)), (log) =>
      HttpRouter.serve(
        Layer.mergeAll(routes, EdgeRoutes.layer).pipe(
          Layer.provideMerge(
            Layer.mergeAll(
              Layer.sync(EdgeRoutes.KnownRoutes, () => new Map<string, Set<string>>()),
              Layer.sync(EdgeRoutes.ServedContracts, (): Array<AnyContract> => [])
            )
          )
        ),
        { disableLogger: !log, routerConfig: EdgeRoutes.routerConfig }
      )
    )
  )
