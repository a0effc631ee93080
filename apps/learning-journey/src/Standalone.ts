/**
 * The learning journey alone in a process (`pnpm --filter @tessera/learning-journey start`): its
 * contracts over HTTP and its consumer, against the shared Postgres (`DATABASE_URL`, or the
 * embedded server). Several such processes, and the other apps' own, can run against one
 * database: the dispatcher's deliveries are leased and the migrations are serialised.
 *
 * The schemas are migrated before the port opens, so a request never reaches a half-started app.
 */
import { createServer } from "node:http"
import { NodeHttpServer } from "@effect/platform-node"
import { Auth } from "@tessera/contract-kit/Auth"
import * as ContractKitSchema from "@tessera/contract-kit/ContractKitSchema"
import * as ContractServer from "@tessera/contract-kit/ContractServer"
import { registry } from "@tessera/contracts/registry"
import * as Database from "@tessera/database/Database"
import * as DispatchMigrations from "@tessera/dispatcher/DispatchMigrations"
import * as Outbox from "@tessera/dispatcher/Outbox"
import { Cause, Config, Effect, Layer } from "effect"
import { HttpServer } from "effect/http"
import * as LearningApp from "./LearningApp.ts"

const ServerLive = NodeHttpServer.layerConfig(createServer, {
  port: Config.Port("PORT").pipe(Config.withDefault(3004)),
  host: Config.String("HOST").pipe(Config.withDefault("127.0.0.1")),
  gracefulShutdownTimeout: Config.succeed("5 seconds")
})

const AnnounceLive = Layer.effectDiscard(
  HttpServer.addressFormattedWith((address) =>
    Effect.logInfo(`Tessera learning journey is up at ${address} (docs: ${address}/learning/docs)`)
  )
)

/** The schemas this process writes to: the kit's (audit, idempotency), the outbox's and the app's. */
const Schemas = Layer.mergeAll(ContractKitSchema.layer, DispatchMigrations.layer, LearningApp.migrations)

export const layer = Layer.mergeAll(ContractServer.serve(LearningApp.routes), LearningApp.workers(), AnnounceLive).pipe(
  Layer.provide(Layer.mergeAll(Auth.layer, Outbox.layer(registry))),
  Layer.provide(ServerLive),
  Layer.provide(Schemas),
  Layer.provide(Database.layer)
)

/** Runs until interrupted. A start-up failure the user can act on is reported as its message alone. */
export const main = Layer.launch(layer).pipe(
  Effect.tapCause((cause) => {
    if (Cause.hasInterruptsOnly(cause)) return Effect.void
    const failure = Cause.findErrorOption(cause)
    return failure._tag === "Some" &&
      typeof failure.value === "object" &&
      failure.value !== null &&
      "message" in failure.value
      ? Effect.logError(`The learning journey could not start: ${String(failure.value.message)}`)
      : Effect.logError("The learning journey stopped on an unexpected error", cause)
  })
)
