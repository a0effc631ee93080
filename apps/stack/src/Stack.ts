/**
 * The composition root `pnpm start` runs: one database, every mounted app, one HTTP port.
 *
 * Order matters: the database and every app's migrations are ready before the port opens, so a
 * request never reaches a half-started process. Later issues mount each app by adding its layer
 * here (its routes, its migrations, its event consumers).
 */
import { createServer } from "node:http"
import { NodeHttpServer } from "@effect/platform-node"
import * as Database from "@tessera/database/Database"
import { Cause, Config, Effect, Layer } from "effect"
import { HttpRouter, HttpServer } from "effect/http"
import { HealthRoute, MountedApps } from "./Health.ts"

/** The apps this process serves, by name. */
const apps: ReadonlyArray<string> = []

const ServerLive = NodeHttpServer.layerConfig(createServer, {
  port: Config.Port("PORT").pipe(Config.withDefault(3000)),
  host: Config.String("HOST").pipe(Config.withDefault("127.0.0.1")),
  gracefulShutdownTimeout: Config.succeed("5 seconds")
})

const AnnounceLive = Layer.effectDiscard(
  HttpServer.addressFormattedWith((address) =>
    Effect.logInfo(`Tessera is up at ${address.replace("127.0.0.1", "localhost")} (health: ${address}/health)`)
  )
)

const Routes = Layer.mergeAll(HealthRoute)

const HttpLive = Layer.unwrap(
  Effect.map(Config.Boolean("TESSERA_LOG_REQUESTS").pipe(Config.withDefault(false)), (logRequests) =>
    HttpRouter.serve(Routes, { disableLogger: !logRequests })
  )
)

/** Everything that must be ready before the port opens. */
const Ready = Layer.mergeAll(Database.layer, Layer.succeed(MountedApps, apps))

export const layer = Layer.mergeAll(HttpLive, AnnounceLive).pipe(Layer.provide(ServerLive), Layer.provide(Ready))

/**
 * Runs the stack until interrupted (Ctrl-C, SIGTERM). A start-up failure the user can act on
 * (the database cannot start, a port is taken) is reported as its message alone, not a trace.
 */
export const main = Layer.launch(layer).pipe(
  Effect.tapCause((cause) => {
    if (Cause.hasInterruptsOnly(cause)) return Effect.void
    const failure = Cause.findErrorOption(cause)
    return failure._tag === "Some" &&
      typeof failure.value === "object" &&
      failure.value !== null &&
      "message" in failure.value
      ? Effect.logError(`Tessera could not start: ${String(failure.value.message)}`)
      : Effect.logError("Tessera stopped on an unexpected error", cause)
  })
)
