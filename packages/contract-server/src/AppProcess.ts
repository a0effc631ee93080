/**
 * One Tessera process: the database (`DATABASE_URL` or embedded), the schemas its apps write to,
 * HTTP on one port with its health and metrics routes, the apps' routes and their background
 * workers. `apps/stack` runs every app in one such process; each app's `main.ts` runs it alone.
 *
 * Start-up, in order: the settings are read and checked (a bad value names its variable and the
 * form it expects), then the database, every migration, and only then the port, so a request
 * never reaches a half-started process. A failure the operator can act on (port in use, database
 * unreachable, bad configuration) is reported as one line that says what to do, not a trace.
 *
 * Health: `/health/live` (the process answers), `/health/ready` (the database answers, migrations
 * ran, workers run, no consumer lags past `TESSERA_READY_MAX_LAG`; 503 otherwise and while
 * stopping), `/health` (the summary: database, apps, the dispatcher's lag and dead letters).
 *
 * Shutdown (SIGTERM, Ctrl-C): `/health/ready` turns 503, the port stops accepting, responses ask
 * keep-alive clients to close, in-flight requests get `TESSERA_SHUTDOWN_GRACE` (20 s) to finish —
 * those still running then are logged and cut — then the workers finish their in-flight handler
 * transactions (bounded by the dispatcher's handler timeout), then the pools and the database.
 *
 * An embedded PostgreSQL that dies under the process ends the process with a message saying so
 * (exit code 1): whatever supervises it (Docker, systemd) starts it again, with a fresh server,
 * instead of a process answering 503 forever.
 */
import type { Server } from "node:http"
import { NodeHttpServer, NodeRuntime } from "@effect/platform-node"
import type { PgClient } from "@effect/sql-pg"
import * as Database from "@tessera/database/Database"
import type { EventSink as EventSinkService } from "@tessera/envelope/EventSink"
import { EventSink } from "@tessera/envelope/EventSink"
import { Cause, Clock, Config, Context, Duration, Effect, Exit, Layer, Metric, Option, Schema } from "effect"
import { HttpRouter, HttpServer, HttpServerRequest, HttpServerResponse } from "effect/http"
import { SqlClient } from "effect/sql"
import type * as App from "./App.ts"
import * as AuditRetention from "./AuditRetention.ts"
import { Auth, fromConfig } from "./Auth.ts"
import * as ContractKitSchema from "./ContractKitSchema.ts"
import * as ContractServer from "./ContractServer.ts"
import * as EdgeRoutes from "./EdgeRoutes.ts"
import * as IdempotencyRetention from "./IdempotencyRetention.ts"
import * as NodeServer from "./NodeServer.ts"
import * as ProcessConfig from "./ProcessConfig.ts"
import * as Telemetry from "./Telemetry.ts"

/** The names of the apps a process serves, reported by `/health`. */
export class MountedApps extends Context.Service<MountedApps, ReadonlyArray<string>>()(
  "@tessera/contract-kit/MountedApps"
) {}

/** The dispatcher's health, as `DispatchAdmin.healthSummary` reports it. */
export interface DispatchHealth {
  readonly status: "ok" | "degraded"
  readonly problems: ReadonlyArray<string>
  readonly consumers: ReadonlyArray<Telemetry.ConsumerFigures>
}

/** What the process runs of the dispatcher besides the outbox: wired by `apps/stack` and the apps' mains. */
export interface DispatchOptions {
  /** Consumer lag, dead letters and blocked subjects (`DispatchAdmin.healthSummary`), for `/health`, `/health/ready` and `/metrics`. */
  readonly health: Effect.Effect<DispatchHealth, unknown, SqlClient.SqlClient>
  /**
   * The workers' own pool (`Worker.pool`): the apps' workers and their handlers' statements run on
   * it, so event load cannot starve HTTP's pool (`TESSERA_HTTP_POOL_SIZE`), and the reverse.
   */
  readonly workerPool?: Layer.Layer<PgClient.PgClient | SqlClient.SqlClient, unknown, PgClient.PgClient> | undefined
  /** The dispatcher's retention of events, inbox rows and dead letters (`Retention.layer`), run beside the kit's own. */
  readonly retention?: Layer.Layer<never, never, SqlClient.SqlClient> | undefined
}

/** The process's state, for readiness and shutdown. */
class Lifecycle extends Context.Service<
  Lifecycle,
  {
    /** Set when shutdown begins: `/health/ready` answers 503, responses carry `Connection: close`. */
    draining: boolean
    /** Requests being answered, by id: what they are and when they started. */
    readonly inFlight: Map<number, { readonly what: string; readonly started: number }>
    nextId: number
  }
>()("@tessera/contract-server/AppProcess/Lifecycle") {}

const noStore = { "cache-control": "no-store" }

const pingDatabase = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const started = yield* Clock.currentTimeMillis
  const ping = yield* sql`SELECT 1`.pipe(Effect.timeout("2 seconds"), Effect.result)
  const latencyMs = (yield* Clock.currentTimeMillis) - started
  if (ping._tag === "Failure") yield* Effect.logWarning("Health check: the database did not answer", ping.failure)
  return { up: ping._tag === "Success", latencyMs }
})

const dispatchHealthOf = (dispatch: DispatchOptions | undefined) =>
  dispatch === undefined
    ? Effect.succeed(undefined)
    : dispatch.health.pipe(
        Effect.timeout("2 seconds"),
        Effect.tapCause((cause) =>
          Effect.logWarning("Health check: the dispatcher's figures could not be read", cause)
        ),
        Effect.option,
        Effect.map(Option.getOrUndefined)
      )

/**
 * `GET /health/live`, `GET /health/ready` and `GET /health` (see the module doc). `/health` answers
 * 200 with `status` `ok` or `degraded` (with the problems), 503 when the database does not answer.
 */
const healthRoutes = (settings: ProcessConfig.Settings, dispatch: DispatchOptions | undefined, workers: boolean) =>
  HttpRouter.use(
    Effect.fn(function* (router) {
      const database = yield* Database.DatabaseInfo
      const apps = yield* MountedApps
      const lifecycle = yield* Lifecycle
      const maxLagMillis = Duration.toMillis(settings.readyMaxLag)
      const context = yield* Effect.context<SqlClient.SqlClient>()

      const live = Effect.succeed(
        HttpServerResponse.jsonUnsafe(
          { status: "live", uptimeSeconds: Math.round(process.uptime()) },
          { headers: noStore }
        )
      )

      const ready = Effect.gen(function* () {
        if (lifecycle.draining) {
          return HttpServerResponse.jsonUnsafe(
            { status: "stopping", problems: ["the process is shutting down"] },
            { status: 503, headers: noStore }
          )
        }
        const [db, dispatched] = yield* Effect.all([pingDatabase, dispatchHealthOf(dispatch)], { concurrency: 2 })
        const problems: Array<string> = []
        if (!db.up) problems.push(`the database (${database.location}) does not answer`)
        for (const consumer of dispatched?.consumers ?? []) {
          if (consumer.oldestAgeMillis > maxLagMillis) {
            problems.push(
              `${consumer.consumer} lags: its oldest undelivered event is ${Math.round(consumer.oldestAgeMillis / 1000)} s old (limit ${Duration.format(settings.readyMaxLag)}, TESSERA_READY_MAX_LAG)`
            )
          }
        }
        if (dispatch !== undefined && dispatched === undefined && db.up) {
          problems.push("the dispatcher's figures could not be read")
        }
        return HttpServerResponse.jsonUnsafe(
          {
            status: problems.length === 0 ? "ready" : "not ready",
            problems,
            checks: {
              database: db.up ? "up" : "down",
              migrations: "done",
              workers: workers ? "running" : "none",
              consumers:
                dispatched === undefined ? "unknown" : problems.some((p) => p.includes(" lags:")) ? "lagging" : "ok"
            }
          },
          { status: problems.length === 0 ? 200 : 503, headers: noStore }
        )
      }).pipe(Effect.provideContext(context))

      const summary = Effect.gen(function* () {
        const [db, dispatched] = yield* Effect.all([pingDatabase, dispatchHealthOf(dispatch)], { concurrency: 2 })
        const problems = [
          ...(db.up ? [] : [`the database (${database.location}) does not answer`]),
          ...(dispatched?.problems ?? [])
        ]
        return HttpServerResponse.jsonUnsafe(
          {
            status: problems.length === 0 ? "ok" : "degraded",
            problems,
            database: {
              status: db.up ? "up" : "down",
              mode: database.mode,
              location: database.location,
              latencyMs: db.latencyMs
            },
            apps,
            ...(dispatched === undefined
              ? {}
              : {
                  dispatch: {
                    status: dispatched.status,
                    consumers: dispatched.consumers.map((c) => ({
                      consumer: c.consumer,
                      lag: c.pending,
                      oldestPendingAgeMs: Math.round(c.oldestAgeMillis),
                      retrying: c.retrying,
                      inFlight: c.inFlight,
                      deadLetters: c.deadLetters,
                      blockedSubjects: c.blockedSubjects
                    }))
                  }
                })
          },
          { status: db.up ? 200 : 503, headers: noStore }
        )
      }).pipe(Effect.provideContext(context))

      yield* router.add("GET", "/health/live", live)
      yield* router.add("GET", "/health/ready", ready)
      yield* router.add("GET", "/health", summary)
      // Another method on these paths answers 405 with `Allow`, not 404.
      for (const path of ["/health/live", "/health/ready", "/health"]) yield* EdgeRoutes.register("GET", path)
    })
  )

/** @deprecated kept for callers of the old single route: `/health` and its two companions. */
export const HealthRoute = Layer.unwrap(
  Effect.map(ProcessConfig.load(3000).pipe(Effect.orDie), (settings) => healthRoutes(settings, undefined, false))
).pipe(Layer.provide(Layer.succeed(Lifecycle, Lifecycle.of({ draining: false, inFlight: new Map(), nextId: 0 }))))

/** Counts requests in flight and, once shutdown began, asks clients to close their connections. */
const inFlightMiddleware = HttpRouter.middleware(
  (httpEffect) =>
    Effect.gen(function* () {
      const lifecycle = yield* Lifecycle
      const request = yield* HttpServerRequest.HttpServerRequest
      const id = lifecycle.nextId++
      lifecycle.inFlight.set(id, { what: `${request.method} ${request.url}`, started: Date.now() })
      return yield* httpEffect.pipe(
        Effect.map((response) =>
          lifecycle.draining ? HttpServerResponse.setHeader(response, "connection", "close") : response
        ),
        Effect.ensuring(Effect.sync(() => lifecycle.inFlight.delete(id)))
      )
    }),
  { global: true }
)

/** The outbox, with a span per publish, a count per event type, and the span's context in the envelope. */
const tracedEventSink = (sink: Layer.Layer<EventSinkService, never, SqlClient.SqlClient>) =>
  Layer.effect(
    EventSink,
    Effect.map(
      Effect.gen(function* () {
        return yield* EventSink
      }),
      (inner) =>
        EventSink.of({
          publish: (events, context) =>
            Effect.gen(function* () {
              const traceparent = yield* Telemetry.currentTraceparent(context.traceparent)
              const ids = yield* inner.publish(events, {
                ...context,
                ...(traceparent === undefined ? {} : { traceparent })
              })
              for (const event of events) {
                yield* Metric.update(
                  Metric.withAttributes(Telemetry.eventsPublished, {
                    event_type: event.definition.type,
                    producer: context.producer
                  }),
                  1
                )
              }
              return ids
            }).pipe(
              Effect.withSpan("outbox.publish", {
                kind: "producer",
                attributes: {
                  "messaging.system": "tessera-dispatch",
                  "messaging.batch.message_count": events.length,
                  "tessera.event_types": [...new Set(events.map((event) => event.definition.type))].join(",")
                }
              })
            )
        })
    )
  ).pipe(Layer.provide(sink))

export type { ProcessServices, RouteServices } from "./App.ts"

export interface Options {
  /** How the process names itself in its logs: `Tessera`, `The CRM`. */
  readonly name: string
  /** The HTTP port unless `PORT` is set. */
  readonly defaultPort: number
  /** The apps served: their migrations run before the port opens, then their routes and workers. */
  readonly apps: ReadonlyArray<App.App>
  /** The process's own schemas besides the kit's (the dispatcher's), migrated before the apps'. */
  readonly migrations: Layer.Layer<never, unknown, SqlClient.SqlClient>
  /** Where the apps' emitted events go: the dispatcher's outbox. */
  readonly eventSink: Layer.Layer<EventSinkService, never, SqlClient.SqlClient>
  /** The dispatcher's health and worker pool; without it `/health` has no consumer figures and workers share HTTP's pool. */
  readonly dispatch?: DispatchOptions | undefined
  /** The service name of its spans unless `OTEL_SERVICE_NAME` is set (default: `tessera`). */
  readonly serviceName?: string | undefined
}

/** Every app's routes, on one router. */
export const routesOf = (apps: ReadonlyArray<App.App>) => Layer.mergeAll(Layer.empty, ...apps.map((app) => app.routes))

/** The kit's schema, the process's own and every app's, migrated when built. */
export const migrationsOf = (options: Pick<Options, "apps" | "migrations">) =>
  Layer.mergeAll(ContractKitSchema.layer, options.migrations, ...options.apps.map((app) => app.migrations))

/** What the process reads about its pools at a scrape. */
const PoolRows = Schema.Array(Schema.Struct({ pool: Schema.String, state: Schema.String, connections: Schema.Number }))

const refreshFigures = (dispatch: DispatchOptions | undefined) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql`
      SELECT application_name AS pool, COALESCE(state, 'unknown') AS state, count(*)::int AS connections
      FROM pg_stat_activity
      WHERE datname = current_database() AND application_name LIKE 'tessera%'
      GROUP BY 1, 2`.pipe(Effect.flatMap(Schema.decodeUnknownEffect(PoolRows)))
    const limits = yield* Effect.all({
      tessera: Config.Int("TESSERA_HTTP_POOL_SIZE").pipe(Config.withDefault(10)),
      "tessera-dispatch": Config.Int("TESSERA_DISPATCH_POOL_SIZE").pipe(Config.withDefault(20))
    })
    yield* Telemetry.recordPools(rows, dispatch?.workerPool === undefined ? { tessera: limits.tessera } : limits)
    if (dispatch !== undefined) yield* Telemetry.recordConsumers((yield* dispatch.health).consumers)
  })

/** Where the node server is, once created: shutdown closes it before Effect's own finalizers run. */
interface ServerHandle {
  current: Server | undefined
}

/**
 * The first finalizer to run at shutdown: readiness off, stop accepting, let in-flight requests
 * finish within the grace period, log and cut those that do not.
 */
const drain = (handle: ServerHandle, grace: Duration.Duration) =>
  Layer.effectDiscard(
    Effect.gen(function* () {
      const lifecycle = yield* Lifecycle
      yield* Effect.addFinalizer(() =>
        Effect.gen(function* () {
          lifecycle.draining = true
          const server = handle.current
          server?.close()
          server?.closeIdleConnections()
          const waiting = lifecycle.inFlight.size
          yield* Effect.logInfo(
            `Shutting down: no new connections; ${waiting} request(s) in flight, up to ${Duration.format(grace)} to finish (TESSERA_SHUTDOWN_GRACE)`
          )
          const deadline = Date.now() + Duration.toMillis(grace)
          while (lifecycle.inFlight.size > 0 && Date.now() < deadline) {
            server?.closeIdleConnections()
            yield* Effect.sleep("50 millis")
          }
          if (lifecycle.inFlight.size > 0) {
            const now = Date.now()
            const cut = [...lifecycle.inFlight.values()].map(
              (entry) => `${entry.what} (running ${((now - entry.started) / 1000).toFixed(1)} s)`
            )
            yield* Effect.logWarning(
              `Shutdown grace period (${Duration.format(grace)}) over: ${cut.length} request(s) cut short: ${cut.join(", ")}`
            )
            server?.closeAllConnections()
          } else if (waiting > 0) {
            yield* Effect.logInfo("Shutting down: every in-flight request finished")
          }
        })
      )
    })
  )

/** The process as a layer, for settings already read (see `layer`). */
const build = (options: Options, settings: ProcessConfig.Settings) => {
  const handle: ServerHandle = { current: undefined }
  const server = NodeHttpServer.layer(
    () => {
      // Bounded against slow clients: 408 for headers or a body that do not arrive in time.
      const created = NodeServer.create()
      handle.current = created
      return created
    },
    {
      port: settings.port,
      host: settings.host,
      // Our own drain runs first; this only bounds Effect's close once it is done.
      gracefulShutdownTimeout: Duration.sum(settings.shutdownGrace, Duration.seconds(1))
    }
  )
  const announce = Layer.effectDiscard(
    HttpServer.addressFormattedWith((address) =>
      Effect.logInfo(
        `${options.name} is up at ${address.replace("127.0.0.1", "localhost")} (health: ${address}/health, ready: ${address}/health/ready${settings.metrics ? `, metrics: ${address}/metrics` : ""})`
      )
    )
  )
  const apps = options.apps
  const dispatch = options.dispatch
  const hasWorkers = apps.some((app) => app.workers !== Layer.empty)
  const lifecycle = Layer.sync(Lifecycle, () => Lifecycle.of({ draining: false, inFlight: new Map(), nextId: 0 }))
  const ready = Layer.mergeAll(
    migrationsOf(options),
    Layer.succeed(
      MountedApps,
      apps.map((app) => app.domain)
    ),
    lifecycle
  )
  const eventSink = tracedEventSink(options.eventSink)
  // Workers on their own pool, with an outbox of their own on it (so a handler's emits join its transaction).
  const workers = Layer.mergeAll(Layer.empty, ...apps.map((app) => app.workers))
  const runWorkers =
    dispatch?.workerPool === undefined
      ? workers
      : workers.pipe(Layer.provide(Layer.provideMerge(Layer.fresh(eventSink), dispatch.workerPool)))
  const routes = Layer.mergeAll(
    healthRoutes(settings, dispatch, hasWorkers),
    routesOf(apps),
    inFlightMiddleware.pipe(Layer.provide(lifecycle)),
    settings.metrics ? Telemetry.metricsRoute(refreshFigures(dispatch)) : Layer.empty
  )
  const retention = Layer.mergeAll(IdempotencyRetention.layer, AuditRetention.layer, dispatch?.retention ?? Layer.empty)
  const running = Layer.mergeAll(ContractServer.serve(routes), runWorkers, retention).pipe(
    Layer.provide(Layer.mergeAll(Auth.layer, eventSink)),
    Layer.provideMerge(server)
  )
  return Layer.mergeAll(announce, drain(handle, settings.shutdownGrace)).pipe(
    Layer.provideMerge(running),
    Layer.provideMerge(ready),
    Layer.provideMerge(Database.layer),
    Layer.provide(Telemetry.httpTracingLayer)
  )
}

/**
 * The whole process: settings checked first (failing with `InvalidConfiguration`), then the
 * database, migrations, routes and workers; spans exported when `OTEL_*` says so.
 */
export const layer = (options: Options) =>
  Layer.unwrap(
    Effect.gen(function* () {
      const settings = yield* ProcessConfig.load(options.defaultPort)
      // Refuse a production start without a real secret before anything else starts.
      yield* fromConfig
      const tracing = yield* Telemetry.tracingSettings
      if (tracing !== undefined) {
        yield* Effect.logInfo(`Exporting traces to ${tracing.url} (${tracing.protocol})`)
      }
      return build(options, settings).pipe(
        Layer.provide(Telemetry.tracingLayer(tracing, options.serviceName ?? "tessera"))
      )
    })
  )

/** A start-up failure as the one line an operator acts on. */
const explain = (error: unknown, settings: { readonly port: string; readonly host: string }): Effect.Effect<string> => {
  if (typeof error !== "object" || error === null) return Effect.succeed(String(error))
  const tag = "_tag" in error ? String(error._tag) : ""
  if (tag === "ServeError") {
    const code = "cause" in error && typeof error.cause === "object" && error.cause !== null && "code" in error.cause
    const errno =
      code && typeof error.cause === "object" && error.cause !== null && "code" in error.cause
        ? String(error.cause.code)
        : ""
    if (errno === "EADDRINUSE") return Effect.succeed(`port ${settings.port} is in use (set PORT)`)
    if (errno === "EACCES")
      return Effect.succeed(`port ${settings.port} needs privileges this user lacks (set PORT to 1024 or above)`)
    if (errno === "EADDRNOTAVAIL" || errno === "ENOTFOUND")
      return Effect.succeed(`${settings.host} is not an address of this machine (set HOST, e.g. 0.0.0.0 or 127.0.0.1)`)
  }
  if (error instanceof Config.ConfigError) {
    return Effect.map(ProcessConfig.fromConfigError(error), (invalid) => invalid.message)
  }
  // A module that read its own settings (the dispatcher's workers) and wrapped the ConfigError.
  if ("cause" in error && error.cause instanceof Config.ConfigError) {
    return Effect.map(ProcessConfig.fromConfigError(error.cause), (invalid) => invalid.message)
  }
  if ("message" in error && typeof error.message === "string" && error.message !== "") {
    return Effect.succeed(error.message)
  }
  return Effect.succeed(String(error))
}

const currentAddress = Effect.all({
  port: Config.String("PORT").pipe(Config.withDefault("")),
  host: Config.String("HOST").pipe(Config.withDefault("127.0.0.1"))
}).pipe(Effect.orElseSucceed(() => ({ port: "", host: "127.0.0.1" })))

/**
 * Runs a process layer until interrupted (Ctrl-C, SIGTERM) or until its embedded database is
 * lost, reporting failures as one plain line.
 */
export const launch = <A, E>(name: string, process: Layer.Layer<A, E>, defaultPort = 3000) =>
  Effect.gen(function* () {
    let started = false
    return yield* Effect.scoped(
      Effect.gen(function* () {
        const context = yield* Layer.build(process)
        started = true
        const database = yield* Effect.serviceOption(Database.DatabaseInfo).pipe(Effect.provideContext(context))
        return yield* Option.isSome(database) ? database.value.lost : Effect.never
      })
    ).pipe(
      Effect.tapCause((cause) => {
        if (Cause.hasInterruptsOnly(cause)) return Effect.void
        const failure = Cause.findErrorOption(cause)
        if (failure._tag === "None") return Effect.logError(`${name} stopped on an unexpected error`, cause)
        return Effect.flatMap(currentAddress, (address) =>
          Effect.flatMap(
            explain(failure.value, {
              port: address.port === "" ? String(defaultPort) : address.port,
              host: address.host
            }),
            (message) =>
              Effect.logError(started ? `${name} stopped: ${message}` : `${name} could not start: ${message}`)
          )
        )
      })
    )
  })

/** The whole of an app's `main.ts`: `AppProcess.main(options)`. */
export const main = (options: Options) => {
  const program = Effect.gen(function* () {
    const logSettings = yield* ProcessConfig.logSettings.pipe(Effect.result)
    const logging = Telemetry.loggingLayer(
      logSettings._tag === "Success" ? logSettings.success : { level: "info", format: "pretty" }
    )
    return yield* launch(options.name, layer(options), options.defaultPort).pipe(Effect.provide(logging))
  })
  NodeRuntime.runMain(program, {
    disableErrorReporting: true,
    // Stopped by a signal and shut down cleanly: exit 0, so a supervisor sees a clean stop.
    teardown: (exit, onExit) => onExit(Exit.isSuccess(exit) || Cause.hasInterruptsOnly(exit.cause) ? 0 : 1)
  })
}
