/**
 * The learning journey as layers: its migrations, its services (`Progression` and the
 * repositories), its routes (the five contracts on the app's `HttpRouter`) and its workers (the
 * `learning.progress` consumer of the CRM's events). A process builds `migrations` before the
 * others; `apps/stack` merges these with the other apps', `main.ts` runs them alone.
 *
 * From the process they need: `SqlClient` (and `PgClient` for the workers), `Auth` for the routes,
 * and an `EventSink` (the dispatcher's outbox). The app's layout is docs/app-shape.md's.
 */
import * as App from "@tessera/contract-server/App"
import * as ContractServer from "@tessera/contract-server/ContractServer"
import { events } from "@tessera/contracts/learning-journey/Catalog"
import { registry } from "@tessera/contracts/registry"
import * as Migrations from "@tessera/database/Migrations"
import * as Worker from "@tessera/dispatcher/Worker"
import { EventIds } from "@tessera/envelope/EventIds"
import { Layer } from "effect"
import CreateLearning from "../migrations/0001_create_learning.ts"
import ProgressEvidence from "../migrations/0002_progress_evidence.ts"
import { ProgressConsumer } from "./consumers/ProgressConsumer.ts"
import { getProgress, recordEvent, skipStep } from "./handlers/OnboardingHandlers.ts"
import { createTrack, listTracks } from "./handlers/TrackHandlers.ts"
import { LearnerEventRepository } from "./repositories/LearnerEventRepository.ts"
import { ProgressRepository } from "./repositories/ProgressRepository.ts"
import { TrackRepository } from "./repositories/TrackRepository.ts"
import { seed } from "./seed.ts"
import { Progression } from "./services/Progression.ts"

export const DOMAIN = "learning"

export { events }

export const catalog = [createTrack, listTracks, getProgress, recordEvent, skipStep] as const

/**
 * The app's migrations, run in its own `learning` schema with its own `learning.migrations`
 * table. Add one: a new `migrations/000N_name.ts` default-exporting an Effect, listed here.
 */
export const schemaMigrations: Migrations.SchemaMigrations = {
  schema: "learning",
  migrations: {
    "0001_create_learning": CreateLearning,
    "0002_progress_evidence": ProgressEvidence
  }
}

/** Runs the `learning` schema's migrations when built. */
export const migrations = Migrations.layer(schemaMigrations)

/** Repositories, `Progression` and ids: everything the handlers and the consumer use. Needs a `SqlClient`. */
export const services = Progression.layer.pipe(
  Layer.provideMerge(Layer.mergeAll(TrackRepository.layer, ProgressRepository.layer, LearnerEventRepository.layer)),
  Layer.provideMerge(EventIds.layer)
)

/**
 * The five contracts served on the `HttpRouter`, with the app's OpenAPI document and docs page
 * under its own prefix, so several apps can share one router.
 */
export const routes = ContractServer.layer({
  domain: DOMAIN,
  catalog,
  events,
  openapiPath: "/learning/openapi.json",
  docsPath: "/learning/docs"
}).pipe(Layer.provide(services))

/** The app's event consumers. */
export const consumers = [ProgressConsumer] as const

/**
 * Dispatcher workers running the consumers for the layer's lifetime. Any number of processes may
 * run them: deliveries are leased, so they compete safely. Fails to start when a consumer does not
 * fit the registry (an event it handles does not name `learning` as a consumer).
 */
export const workers = (options: Partial<Worker.Options> = {}) =>
  Worker.layer(consumers, { registry, ...options }).pipe(Layer.provide(services))

export const LearningApp = App.make({
  domain: DOMAIN,
  name: "The learning journey",
  port: 3004,
  main: new URL("./main.ts", import.meta.url),
  catalog,
  migrations,
  routes,
  workers: workers(),
  seed
})
