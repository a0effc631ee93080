/**
 * `GET /health`: whether the database answers, where it is, and which apps this process serves.
 * 200 when everything is up, 503 when the database does not answer within two seconds.
 */
import { DatabaseInfo } from "@tessera/database/Database"
import { Clock, Context, Effect } from "effect"
import { HttpRouter, HttpServerResponse } from "effect/http"
import { SqlClient } from "effect/sql"

/** The names of the apps mounted in this process, reported by `/health`. */
export class MountedApps extends Context.Service<MountedApps, ReadonlyArray<string>>()("@tessera/stack/MountedApps") {}

export const HealthRoute = HttpRouter.use(
  Effect.fn(function* (router) {
    const sql = yield* SqlClient.SqlClient
    const database = yield* DatabaseInfo
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
