/**
 * One Tessera process: the database (`DATABASE_URL` or embedded), the schemas its apps write to,
 * HTTP on one port with `/health`, the apps' routes and their background workers. `apps/stack`
 * runs every app in one such process; each app's `main.ts` runs it alone in its own.
 *
 * Order matters: the database and every migration are ready before the port opens, so a request
 * never reaches a half-started process. A start-up failure the user can act on (the database
 * cannot start, the port is taken) is reported as its message alone, not a trace.
 */
import { createServer } from "node:http"
import { NodeHttpServer, NodeRuntime } from "@effect/platform-node"
import * as Database from "@tessera/database/Database"
import type { EventSink } from "@tessera/envelope/EventSink"
import { Cause, Clock, Config, Context, Effect, Layer } from "effect"
import { HttpRouter, HttpServer, HttpServerResponse } from "effect/http"
import { SqlClient } from "effect/sql"
import type * as App from "./App.ts"
import { Auth } from "./Auth.ts"
import * as ContractKitSchema from "./ContractKitSchema.ts"
import * as ContractServer from "./ContractServer.ts"
import * as IdempotencyRetention from "./IdempotencyRetention.ts"

/** The names of the apps a process serves, reported by `/health`. */
export class MountedApps extends Context.Service<MountedApps, ReadonlyArray<string>>()(
  "@tessera/contract-kit/MountedApps"
) {}

/**
 * `GET /health`: whether the database answers, where it is, and which apps this process serves.
 * 200 when everything is up, 503 when the database does not answer within two seconds.
 */
export const HealthRoute = HttpRouter.use(
  Effect.fn(function* (router) {
    const sql = yield* SqlClient.SqlClient
    const database = yield* Database.DatabaseInfo
    const apps = yield* MountedApps
    const check = Effect.gen(function* () {
      const started = yield* Clock.currentTimeMillis
      const ping = yield* sql`SELECT 1`.pipe(Effect.timeout("2 seconds"), Effect.result)
      const latencyMs = (yield* Clock.currentTimeMillis) - started
      const up = ping._tag === "Success"
      if (!up) yield* Effect.logWarning("Health check: the database did not answer", ping.failure)
      return HttpServerResponse.jsonUnsafe(
        {
          status: up ? "ok" : "degraded",
          database: { status: up ? "up" : "down", mode: database.mode, location: database.location, latencyMs },
          apps
        },
        { status: up ? 200 : 503, headers: { "cache-control": "no-store" } }
      )
    })
    yield* router.add("GET", "/health", check)
  })
)

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
  readonly eventSink: Layer.Layer<EventSink, never, SqlClient.SqlClient>
}

/** Every app's routes, on one router. */
export const routesOf = (apps: ReadonlyArray<App.App>) => Layer.mergeAll(Layer.empty, ...apps.map((app) => app.routes))

/** The kit's schema, the process's own and every app's, migrated when built. */
export const migrationsOf = (options: Pick<Options, "apps" | "migrations">) =>
  Layer.mergeAll(ContractKitSchema.layer, options.migrations, ...options.apps.map((app) => app.migrations))

export const layer = (options: Options) => {
  const server = NodeHttpServer.layerConfig(createServer, {
    port: Config.Port("PORT").pipe(Config.withDefault(options.defaultPort)),
    host: Config.String("HOST").pipe(Config.withDefault("127.0.0.1")),
    gracefulShutdownTimeout: Config.succeed("5 seconds")
  })
  const announce = Layer.effectDiscard(
    HttpServer.addressFormattedWith((address) =>
      Effect.logInfo(
        `${options.name} is up at ${address.replace("127.0.0.1", "localhost")} (health: ${address}/health)`
      )
    )
  )
  const apps = options.apps
  const ready = Layer.mergeAll(
    migrationsOf(options),
    Layer.succeed(
      MountedApps,
      apps.map((app) => app.domain)
    )
  )
  return Layer.mergeAll(
    ContractServer.serve(Layer.mergeAll(HealthRoute, routesOf(apps))),
    ...apps.map((app) => app.workers),
    IdempotencyRetention.layer,
    announce
  ).pipe(
    Layer.provide(Layer.mergeAll(Auth.layer, options.eventSink)),
    Layer.provide(server),
    Layer.provideMerge(ready),
    Layer.provideMerge(Database.layer)
  )
}

/** Runs a process layer until interrupted (Ctrl-C, SIGTERM), reporting start-up failures plainly. */
export const launch = <A, E>(name: string, process: Layer.Layer<A, E>) =>
  Layer.launch(process).pipe(
    Effect.tapCause((cause) => {
      if (Cause.hasInterruptsOnly(cause)) return Effect.void
      const failure = Cause.findErrorOption(cause)
      return failure._tag === "Some" &&
        typeof failure.value === "object" &&
        failure.value !== null &&
        "message" in failure.value
        ? Effect.logError(`${name} could not start: ${String(failure.value.message)}`)
        : Effect.logError(`${name} stopped on an unexpected error`, cause)
    })
  )

/** The whole of an app's `main.ts`: `AppProcess.main(options)`. */
export const main = (options: Options) =>
  NodeRuntime.runMain(launch(options.name, layer(options)), { disableErrorReporting: true })
