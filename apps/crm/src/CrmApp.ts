/**
 * The CRM as an `App`: its migrations, its services (repositories and ids), its routes (the
 * fifteen contracts on the app's `HttpRouter`) and its demo data. `main.ts` serves it alone,
 * `apps/stack` with the other apps. Its workers run `crm.integrationRecords`, which upserts the
 * integration hub's synced records as contacts.
 *
 * The routes need, from the process: `SqlClient`, `Auth` and an `EventSink` (the dispatcher's
 * outbox). The app's layout is docs/app-shape.md's.
 */
import * as App from "@tessera/contract-server/App"
import * as ContractServer from "@tessera/contract-server/ContractServer"
import { events } from "@tessera/contracts/crm/Catalog"
import { registry } from "@tessera/contracts/registry"
import * as Migrations from "@tessera/database/Migrations"
import * as Worker from "@tessera/dispatcher/Worker"
import { Layer } from "effect"
import CreateCrm from "../migrations/0001_create_crm.ts"
import ExternalContacts from "../migrations/0002_external_contacts.ts"
import { IntegrationRecordConsumer } from "./consumers/IntegrationRecordConsumer.ts"
import { CrmIds } from "./domain/CrmIds.ts"
import { createCompany, listCompanies } from "./handlers/CompanyHandlers.ts"
import { createContact, listContacts } from "./handlers/ContactHandlers.ts"
import { createDeal, getDeal, listDeals, loseDeal, moveDeal, winDeal } from "./handlers/DealHandlers.ts"
import { createPipeline, listPipelines } from "./handlers/PipelineHandlers.ts"
import { completeTask, createTask, listTasks } from "./handlers/TaskHandlers.ts"
import { CompanyRepository } from "./repositories/CompanyRepository.ts"
import { ContactRepository } from "./repositories/ContactRepository.ts"
import { DealRepository } from "./repositories/DealRepository.ts"
import { ExternalContactRepository } from "./repositories/ExternalContactRepository.ts"
import { PipelineRepository } from "./repositories/PipelineRepository.ts"
import { TaskRepository } from "./repositories/TaskRepository.ts"
import { seed } from "./seed.ts"

export const DOMAIN = "crm"

export { events }

export const catalog = [
  createPipeline,
  listPipelines,
  createDeal,
  getDeal,
  moveDeal,
  winDeal,
  loseDeal,
  listDeals,
  createContact,
  listContacts,
  createCompany,
  listCompanies,
  createTask,
  completeTask,
  listTasks
] as const

/**
 * The app's migrations, run in its own `crm` schema with its own `crm.migrations` table. Add one:
 * a new `migrations/000N_name.ts` default-exporting an Effect, listed here.
 */
export const schemaMigrations: Migrations.SchemaMigrations = {
  schema: "crm",
  migrations: {
    "0001_create_crm": CreateCrm,
    "0002_external_contacts": ExternalContacts
  }
}

/** Runs the `crm` schema's migrations when built. */
export const migrations = Migrations.layer(schemaMigrations)

/** Repositories and ids: everything the handlers use. Needs a `SqlClient`. */
export const services = Layer.mergeAll(
  PipelineRepository.layer,
  DealRepository.layer,
  ContactRepository.layer,
  CompanyRepository.layer,
  TaskRepository.layer,
  CrmIds.layer
)

/** The contracts on the `HttpRouter`, with the CRM's OpenAPI document and docs page under `/crm`. */
export const routes = ContractServer.layer({
  domain: DOMAIN,
  catalog,
  events,
  openapiPath: "/crm/openapi.json",
  docsPath: "/crm/docs"
}).pipe(Layer.provide(services))

/** The app's event consumers: synced records from the integration hub become contacts. */
export const consumers = [IntegrationRecordConsumer] as const

/** Dispatcher workers running the consumers (any number of processes may run them). */
export const workers = Worker.layer(consumers, { registry }).pipe(
  Layer.provide(Layer.mergeAll(ExternalContactRepository.layer, CrmIds.layer))
)

export const CrmApp = App.make({
  domain: DOMAIN,
  name: "The CRM",
  port: 3001,
  main: new URL("./main.ts", import.meta.url),
  catalog,
  migrations,
  routes,
  workers,
  seed
})
