/**
 * The integration hub as an `App`: its migrations, its services (repositories, the credential
 * vault, the file folder, the sync engine), its routes (nineteen contracts) and its workers: the
 * `integration.sync` consumer running sync runs page by page, `integration.crmContacts` feeding
 * syncs that read the CRM from its `contact.created` events, and the cron scheduler.
 *
 * From the process it needs `SqlClient` (and `PgClient` for the workers), `Auth` for the routes
 * and an `EventSink` (the dispatcher's outbox).
 */
import * as App from "@tessera/contract-server/App"
import * as ContractServer from "@tessera/contract-server/ContractServer"
import { events } from "@tessera/contracts/integration-hub/Catalog"
import { registry } from "@tessera/contracts/registry"
import * as Migrations from "@tessera/database/Migrations"
import type * as Consumer from "@tessera/dispatcher/Consumer"
import * as Worker from "@tessera/dispatcher/Worker"
import type { EventSink } from "@tessera/envelope/EventSink"
import { Layer } from "effect"
import { FetchHttpClient } from "effect/http"
import type { SqlClient } from "effect/sql"
import CreateIntegration from "../migrations/0001_create_integration.ts"
import CrmRecords from "../migrations/0002_crm_records.ts"
import { CrmContactConsumer } from "./consumers/CrmContactConsumer.ts"
import { SyncRunConsumer } from "./consumers/SyncRunConsumer.ts"
import { IntegrationIds } from "./domain/IntegrationIds.ts"
import {
  createConnection,
  disableConnection,
  getConnection,
  listConnections,
  rotateCredentials,
  testConnection
} from "./handlers/ConnectionHandlers.ts"
import { addFieldMapping, listFieldMappings, removeFieldMapping } from "./handlers/FieldMappingHandlers.ts"
import {
  createSyncConfig,
  getSyncConfig,
  listSyncConfigs,
  pauseSyncConfig,
  previewSyncConfig,
  resumeSyncConfig
} from "./handlers/SyncConfigHandlers.ts"
import { cancelSyncRun, getSyncRun, listSyncRuns, triggerSync } from "./handlers/SyncRunHandlers.ts"
import { ConnectionRepository } from "./repositories/ConnectionRepository.ts"
import { RunRepository } from "./repositories/RunRepository.ts"
import { SyncConfigRepository } from "./repositories/SyncConfigRepository.ts"
import { CredentialVault } from "./services/CredentialVault.ts"
import { FileRoot } from "./services/FileRoot.ts"
import * as Scheduler from "./services/Scheduler.ts"
import { SyncEngine } from "./services/SyncEngine.ts"

export const DOMAIN = "integration"

export { events }

export const catalog = [
  createConnection,
  getConnection,
  listConnections,
  rotateCredentials,
  testConnection,
  disableConnection,
  createSyncConfig,
  getSyncConfig,
  listSyncConfigs,
  pauseSyncConfig,
  resumeSyncConfig,
  previewSyncConfig,
  addFieldMapping,
  removeFieldMapping,
  listFieldMappings,
  triggerSync,
  getSyncRun,
  listSyncRuns,
  cancelSyncRun
] as const

/**
 * The app's migrations, run in its own `integration` schema with its own `integration.migrations`
 * table. Add one: a new `migrations/000N_name.ts` default-exporting an Effect, listed here.
 */
export const schemaMigrations: Migrations.SchemaMigrations = {
  schema: "integration",
  migrations: {
    "0001_create_integration": CreateIntegration,
    "0002_crm_records": CrmRecords
  }
}

/** Runs the `integration` schema's migrations when built. */
export const migrations = Migrations.layer(schemaMigrations)

/** Repositories, ids, the vault, the file folder and the engine. Needs a `SqlClient` and an `EventSink`. */
export const services = SyncEngine.layer.pipe(
  Layer.provideMerge(
    Layer.mergeAll(
      ConnectionRepository.layer,
      SyncConfigRepository.layer,
      RunRepository.layer,
      CredentialVault.layer,
      FileRoot.layer,
      IntegrationIds.layer,
      FetchHttpClient.layer
    )
  )
)

/** The contracts on the `HttpRouter`, with the hub's OpenAPI document and docs page under `/integration`. */
export const routes = ContractServer.layer({
  domain: DOMAIN,
  catalog,
  events,
  openapiPath: "/integration/openapi.json",
  docsPath: "/integration/docs"
}).pipe(Layer.provide(services))

/** The app's event consumers (one service type for the worker: what either needs). */
export const consumers: ReadonlyArray<
  Consumer.Consumer<SyncEngine | RunRepository | IntegrationIds | EventSink | SqlClient.SqlClient>
> = [SyncRunConsumer, CrmContactConsumer]

/** The sync consumer and the scheduler. Any number of processes may run them (see `Scheduler`). */
export const workers = (options: Partial<Worker.Options> = {}) =>
  Layer.mergeAll(Worker.layer(consumers, { registry, ...options }), Scheduler.layer).pipe(Layer.provide(services))

export const IntegrationApp = App.make({
  domain: DOMAIN,
  name: "The integration hub",
  port: 3003,
  main: new URL("./main.ts", import.meta.url),
  catalog,
  migrations,
  routes,
  workers: workers()
})
