/**
 * What a Tessera process tells its operator: logs, traces and metrics.
 *
 * - Logs: `TESSERA_LOG_LEVEL` (trace | debug | info | warn | error | none, default info) and
 *   `TESSERA_LOG_FORMAT` (pretty | json, default pretty). Servers log to stdout; command-line tools
 *   (`cliLogging`) to stderr, so their stdout stays their output. Secrets are `Redacted` and never
 *   reach a log line (tested with the stack as a process).
 * - Traces: OpenTelemetry through `effect/observability`, exported over OTLP/HTTP when
 *   `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set, off otherwise
 *   (and with `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none`).
 *   `OTEL_EXPORTER_OTLP_PROTOCOL` is `http/protobuf` (the default) or `http/json`;
 *   `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_EXPORTER_OTLP_HEADERS` and
 *   `OTEL_BSP_SCHEDULE_DELAY` (ms between exports) work as usual. The spans: the HTTP server span
 *   (continuing an incoming `traceparent`), `contract <key>` per call, `handler <key>`, SQL
 *   statements and transactions, `outbox.publish` (whose context the envelope's `traceparent`
 *   carries), and each consumer's handling, continuing the producer's trace.
 * - Metrics: Effect metrics, served as Prometheus text on `/metrics` (`metricsRoute`). Counters are
 *   this process's since it started; the dispatcher and pool figures are read from the database at
 *   each scrape.
 */
import { Config, Duration, Effect, Layer, Logger, Metric, Option, References, Tracer } from "effect"
import type { HttpServerResponse as Response } from "effect/http"
import { FetchHttpClient, HttpMiddleware, HttpRouter, HttpServerResponse } from "effect/http"
import type { LogLevel } from "effect/LogLevel"
import { OtlpExporter, OtlpSerialization, OtlpTracer, PrometheusMetrics } from "effect/observability"
import * as EdgeRoutes from "./EdgeRoutes.ts"
import { InvalidConfiguration, type LogLevelName, type LogSettings, setting } from "./ProcessConfig.ts"

// --- logs -----------------------------------------------------------------------------------------

const LEVELS: Record<LogLevelName, LogLevel> = {
  trace: "Trace",
  debug: "Debug",
  info: "Info",
  warn: "Warn",
  error: "Error",
  none: "None"
}

/** The process's logger: `settings.format` on stdout (stderr for `stderr: true`), from `settings.level` up. */
export const loggingLayer = (settings: LogSettings, options: { readonly stderr?: boolean | undefined } = {}) => {
  const stderr = options.stderr === true
  const logger =
    settings.format === "json"
      ? stderr
        ? Logger.withConsoleError(Logger.formatJson)
        : Logger.withConsoleLog(Logger.formatJson)
      : Logger.consolePretty()
  return Layer.mergeAll(
    Logger.layer([logger]),
    Layer.succeed(References.MinimumLogLevel, LEVELS[settings.level]),
    Layer.succeed(Logger.LogToStderr, stderr)
  )
}

/** The logger of a command-line tool (`pnpm seed`, the dispatcher's CLI): configured like a server's, on stderr. */
export const cliLogging = Layer.unwrap(
  Effect.map(
    Effect.orElseSucceed(
      Effect.all({
        level: Config.Literals(["trace", "debug", "info", "warn", "error", "none"], "TESSERA_LOG_LEVEL").pipe(
          Config.withDefault("info" as const)
        ),
        format: Config.Literals(["pretty", "json"], "TESSERA_LOG_FORMAT").pipe(Config.withDefault("pretty" as const))
      }),
      (): LogSettings => ({ level: "info", format: "pretty" })
    ),
    (settings) => loggingLayer(settings, { stderr: true })
  )
)

// --- traces ---------------------------------------------------------------------------------------

export interface TracingSettings {
  readonly url: string
  readonly protocol: "http/protobuf" | "http/json"
  readonly serviceName: string | undefined
  readonly headers: Record<string, string> | undefined
  readonly exportInterval: Duration.Duration | undefined
}

const optionalString = (name: string) =>
  setting(name, Config.option(Config.String(name)), "a string").pipe(
    Effect.map((value) => Option.filter(value, (v) => v.trim() !== "")),
    Effect.map(Option.getOrUndefined)
  )

/** `k1=v1,k2=v2` (values percent-encoded), as `OTEL_EXPORTER_OTLP_HEADERS` spells them. */
const parseHeaders = (text: string | undefined): Record<string, string> | undefined => {
  if (text === undefined) return undefined
  const headers: Record<string, string> = {}
  for (const entry of text.split(",")) {
    const at = entry.indexOf("=")
    if (at <= 0) continue
    headers[entry.slice(0, at).trim()] = decodeURIComponent(entry.slice(at + 1).trim())
  }
  return headers
}

/** The OTLP trace export settings from the standard `OTEL_*` variables; `undefined` when tracing is off. */
export const tracingSettings: Effect.Effect<TracingSettings | undefined, InvalidConfiguration> = Effect.gen(
  function* () {
    const disabled = yield* setting(
      "OTEL_SDK_DISABLED",
      Config.Boolean("OTEL_SDK_DISABLED").pipe(Config.withDefault(false)),
      "true or false"
    )
    const exporter = (yield* optionalString("OTEL_TRACES_EXPORTER")) ?? "otlp"
    if (disabled || exporter.split(",").every((name) => name.trim().toLowerCase() !== "otlp")) return undefined
    const tracesEndpoint = yield* optionalString("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    const endpoint = yield* optionalString("OTEL_EXPORTER_OTLP_ENDPOINT")
    const url = tracesEndpoint ?? (endpoint === undefined ? undefined : `${endpoint.replace(/\/+$/, "")}/v1/traces`)
    if (url === undefined) return undefined
    if (!URL.canParse(url)) {
      return yield* new InvalidConfiguration({
        variable: tracesEndpoint === undefined ? "OTEL_EXPORTER_OTLP_ENDPOINT" : "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        value: tracesEndpoint ?? endpoint,
        expected: "an http(s) URL such as http://localhost:4318"
      })
    }
    const protocolVariable =
      (yield* optionalString("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")) === undefined
        ? "OTEL_EXPORTER_OTLP_PROTOCOL"
        : "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"
    const protocol = yield* setting(
      protocolVariable,
      Config.Literals(["http/protobuf", "http/json"], protocolVariable).pipe(
        Config.withDefault("http/protobuf" as const)
      ),
      "http/protobuf or http/json (gRPC is not supported)"
    )
    const delay = yield* setting(
      "OTEL_BSP_SCHEDULE_DELAY",
      Config.option(Config.Int("OTEL_BSP_SCHEDULE_DELAY")),
      "a number of milliseconds"
    )
    return {
      url,
      protocol,
      serviceName: yield* optionalString("OTEL_SERVICE_NAME"),
      headers: parseHeaders(yield* optionalString("OTEL_EXPORTER_OTLP_HEADERS")),
      exportInterval: Option.getOrUndefined(Option.map(delay, Duration.millis))
    }
  }
)

/**
 * Background SQL — the workers' claims and polls, LISTEN, retention sweeps, `/metrics` — would
 * start a new one-span trace every second. Root spans named `sql.*` are therefore not sampled
 * (nor their children); a statement inside a request, a handler or a consumer's handling is a
 * child span and is exported with its trace.
 */
const isBackground = (options: { readonly name: string; readonly parent: Option.Option<Tracer.AnySpan> }) =>
  Option.isNone(options.parent) && options.name.startsWith("sql.")

/**
 * The OTLP tracer for `settings` (spans of `serviceName` unless `OTEL_SERVICE_NAME` names the
 * service), or nothing when tracing is off. Spans still buffered are flushed when it is released.
 */
export const tracingLayer = (
  settings: TracingSettings | undefined,
  serviceName: string
): Layer.Layer<OtlpExporter.Flusher> =>
  settings === undefined
    ? OtlpExporter.layerFlusher
    : Layer.effect(
        Tracer.Tracer,
        Effect.map(
          OtlpTracer.make({
            url: settings.url,
            resource: { serviceName: settings.serviceName ?? serviceName },
            headers: settings.headers,
            exportInterval: settings.exportInterval
          }),
          (otlp) =>
            Tracer.make({
              span: (options) => otlp.span(isBackground(options) ? { ...options, sampled: false } : options),
              context: otlp.context
            })
        )
      ).pipe(
        Layer.provideMerge(OtlpExporter.layerFlusher),
        Layer.provide(
          settings.protocol === "http/json" ? OtlpSerialization.layerJson : OtlpSerialization.layerProtobuf
        ),
        Layer.provide(FetchHttpClient.layer)
      )

/** The HTTP server span is named `METHOD /path`; `/health…` and `/metrics` are not traced. */
export const httpTracingLayer = Layer.mergeAll(
  Layer.succeed(HttpMiddleware.SpanNameGenerator, (request) => `${request.method} ${request.url.split("?")[0]}`),
  Layer.succeed(
    HttpMiddleware.TracerDisabledWhen,
    (request) => request.url.startsWith("/health") || request.url.startsWith("/metrics")
  )
)

/** W3C `traceparent` of a span: how the outbox hands a trace to the consumers. */
export const traceparentOf = (span: Tracer.AnySpan): string =>
  `00-${span.traceId}-${span.spanId}-${span.sampled ? "01" : "00"}`

/** The span a W3C `traceparent` names, to continue its trace; `undefined` when malformed. */
export const parentFromTraceparent = (traceparent: string | null | undefined): Tracer.ExternalSpan | undefined => {
  const match = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(traceparent?.trim() ?? "")
  if (match === null) return undefined
  const [, version, traceId, spanId, flags] = match
  if (version === "ff" || traceId === undefined || spanId === undefined || flags === undefined) return undefined
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined
  return Tracer.externalSpan({ traceId, spanId, sampled: (Number.parseInt(flags, 16) & 1) === 1 })
}

/**
 * The `traceparent` to store with events published now: the current span's when a tracer
 * exports spans, else the caller's own (kept as it came, so an outside trace still continues).
 */
export const currentTraceparent = (incoming: string | undefined) =>
  Effect.gen(function* () {
    const tracer = yield* Tracer.Tracer
    if (tracer === Tracer.nativeTracer) return incoming
    const span = yield* Effect.option(Effect.currentSpan)
    return Option.isSome(span) ? traceparentOf(span.value) : incoming
  })

// --- metrics --------------------------------------------------------------------------------------

const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/** Calls answered, by contract key and HTTP status. */
export const httpRequests = Metric.counter("tessera_http_requests_total", {
  description: "Contract calls answered, by contract key and HTTP status",
  incremental: true
})

/** Time to answer a call, by contract key and HTTP status. */
export const httpDuration = Metric.histogram("tessera_http_request_duration_seconds", {
  description: "Time to answer a contract call, in seconds, by contract key and HTTP status",
  boundaries: SECONDS_BUCKETS
})

/** Events written to the outbox, by type and producer. */
export const eventsPublished = Metric.counter("tessera_events_published_total", {
  description: "Events written to the outbox by this process, by event type and producer",
  incremental: true
})

/** Records one answered call of `contract`. */
export const recordCall = (contract: string, status: number, seconds: number) =>
  Effect.andThen(
    Metric.update(Metric.withAttributes(httpRequests, { contract, status: String(status) }), 1),
    Metric.update(Metric.withAttributes(httpDuration, { contract, status: String(status) }), seconds)
  )

/**
 * Measures a contract call (`ContractServer` wraps every call with it): the answer's status and
 * how long it took.
 */
export const measureCall =
  (contract: string) =>
  <E, R>(call: Effect.Effect<Response.HttpServerResponse, E, R>): Effect.Effect<Response.HttpServerResponse, E, R> =>
    Effect.gen(function* () {
      const started = performance.now()
      const response = yield* call
      yield* recordCall(contract, response.status, (performance.now() - started) / 1000)
      return response
    })

/** Figures of one consumer, as the dispatcher reports them (`DispatchAdmin.Lag`). */
export interface ConsumerFigures {
  readonly consumer: string
  readonly pending: number
  readonly oldestAgeMillis: number
  readonly retrying: number
  readonly inFlight: number
  readonly deadLetters: number
  readonly blockedSubjects: number
}

const consumerGauges = {
  pending: Metric.gauge("tessera_dispatch_pending", {
    description: "Deliveries not yet handled (waiting, backing off or in flight), by consumer"
  }),
  oldestAge: Metric.gauge("tessera_dispatch_oldest_pending_age_seconds", {
    description: "Age of the oldest undelivered event, by consumer (the consumer's lag)"
  }),
  retrying: Metric.gauge("tessera_dispatch_retrying", {
    description: "Deliveries waiting for a retry after a failure, by consumer"
  }),
  inFlight: Metric.gauge("tessera_dispatch_in_flight", { description: "Deliveries leased to a worker, by consumer" }),
  deadLetters: Metric.gauge("tessera_dispatch_dead_letters", {
    description: "Dead letters not replayed or discarded, by consumer"
  }),
  blocked: Metric.gauge("tessera_dispatch_blocked_subjects", {
    description: "Subjects a dead letter blocks (strict consumers), by consumer"
  })
}

/** Sets the dispatcher gauges from the figures read at a scrape. */
export const recordConsumers = (figures: ReadonlyArray<ConsumerFigures>) =>
  Effect.forEach(
    figures,
    (f) => {
      const set = (gauge: Metric.Gauge<number>, value: number) =>
        Metric.update(Metric.withAttributes(gauge, { consumer: f.consumer }), value)
      return Effect.all(
        [
          set(consumerGauges.pending, f.pending),
          set(consumerGauges.oldestAge, f.oldestAgeMillis / 1000),
          set(consumerGauges.retrying, f.retrying),
          set(consumerGauges.inFlight, f.inFlight),
          set(consumerGauges.deadLetters, f.deadLetters),
          set(consumerGauges.blocked, f.blockedSubjects)
        ],
        { discard: true }
      )
    },
    { discard: true }
  )

const poolConnections = Metric.gauge("tessera_db_pool_connections", {
  description: "Open connections of each Tessera pool on the database (all processes), by pool and state"
})
const poolMax = Metric.gauge("tessera_db_pool_max_connections", {
  description: "Connections this process's pools may open, by pool"
})

/** One row of `pg_stat_activity` grouped by pool (application name) and state. */
export interface PoolRow {
  readonly pool: string
  readonly state: string
  readonly connections: number
}

export const recordPools = (rows: ReadonlyArray<PoolRow>, limits: Readonly<Record<string, number>>) =>
  Effect.andThen(
    Effect.forEach(
      rows,
      (row) =>
        Metric.update(Metric.withAttributes(poolConnections, { pool: row.pool, state: row.state }), row.connections),
      { discard: true }
    ),
    Effect.forEach(
      Object.entries(limits),
      ([pool, max]) => Metric.update(Metric.withAttributes(poolMax, { pool }), max),
      { discard: true }
    )
  )

/**
 * `GET /metrics`: Prometheus text of every Effect metric of the process, after `refresh` (the
 * figures read from the database) had two seconds to update the gauges.
 */
export const metricsRoute = <R>(refresh: Effect.Effect<void, unknown, R>) =>
  HttpRouter.use((router) =>
    Effect.andThen(
      EdgeRoutes.register("GET", "/metrics"),
      router.add(
        "GET",
        "/metrics",
        Effect.gen(function* () {
          yield* refresh.pipe(
            Effect.timeout("2 seconds"),
            Effect.catchCause((cause) => Effect.logWarning("/metrics: reading the database figures failed", cause))
          )
          const text = yield* PrometheusMetrics.format()
          return HttpServerResponse.text(text, {
            contentType: "text/plain; version=0.0.4; charset=utf-8",
            headers: { "cache-control": "no-store" }
          })
        })
      )
    )
  )
