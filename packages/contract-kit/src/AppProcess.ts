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

/** The services a process gives its apps' routes and workers. */
export type ProcessServices =
  | SqlClient.SqlClient
  | Database.DatabaseInfo
  | Auth
  | EventSink
  | Layer.Success<typeof Database.layer>

/** What routes get on top: the router and the HTTP platform (ETags, files, paths). */
export type RouteServices =
  | ProcessServices
  | HttpRouter.HttpRouter
  | Layer.Success<ReturnType<typeof NodeHttpServer.layer>>

export interface Options<E1, E2, E3> {
  /** How the process names itself in its logs: `Tessera`, `The CRM`. */
  readonly name: string
  /** The HTTP port unless `PORT` is set. */
  readonly defaultPort: number
  /** The apps served, as `/health` reports them. */
  readonly apps: ReadonlyArray<string>
  /** The apps' migrations (the kit's own schema is always included). Run before the port opens. */
  readonly migrations: Layer.Layer<never, E1, SqlClient.SqlClient>
  /** The apps' routes on the `HttpRouter` (from `ContractServer.layer`). */
  readonly routes: Layer.Layer<never, E2, RouteServices>
  /** Background work for the process's lifetime (event consumers). */
  readonly workers?: Layer.Layer<never, E3, ProcessServices> | undefined
  /** Where the apps' emitted events go: the dispatcher's outbox. */
  readonly eventSink: Layer.Layer<EventSink, never, SqlClient.SqlClient>
}

export const layer = <E1, E2, E3>(options: Options<E1, E2, E3>) => {
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
  const ready = Layer.mergeAll(ContractKitSchema.layer, options.migrations, Layer.succeed(MountedApps, options.apps))
  return Layer.mergeAll(
    ContractServer.serve(Layer.mergeAll(HealthRoute, options.routes)),
    options.workers ?? Layer.empty,
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
export const main = <E1, E2, E3>(options: Options<E1, E2, E3>) =>
  NodeRuntime.runMain(launch(options.name, layer(options)), { disableErrorReporting: true })
