/**
 * The service business as an `App`: its migrations, its services (repositories and ids), its
 * routes (the twenty-four contracts on the app's `HttpRouter`), its workers (`service.crmDeals`,
 * the consumer of the CRM's `deal.won`) and its demo data. `main.ts` serves it alone, `apps/stack`
 * with the other apps.
 *
 * The routes need, from the process: `SqlClient`, `Auth` and an `EventSink` (the dispatcher's outbox).
 */
import * as App from "@tessera/contract-server/App"
import * as ContractServer from "@tessera/contract-server/ContractServer"
import { registry } from "@tessera/contracts/registry"
import { events } from "@tessera/contracts/service-business/Catalog"
import * as Migrations from "@tessera/database/Migrations"
import * as Worker from "@tessera/dispatcher/Worker"
import { Layer } from "effect"
import CreateService from "../migrations/0001_create_service.ts"
import { CrmDealsConsumer } from "./consumers/CrmDealsConsumer.ts"
import { ServiceIds } from "./domain/ServiceIds.ts"
import { createClient, getClient, listClients } from "./handlers/ClientHandlers.ts"
import { getInvoice, issueInvoice, listInvoices, sendInvoice, voidInvoice } from "./handlers/InvoiceHandlers.ts"
import {
  assignJob,
  cancelJob,
  completeJob,
  getJob,
  listJobs,
  rescheduleJob,
  scheduleJob,
  startJob
} from "./handlers/JobHandlers.ts"
import { recordPayment, refundPayment } from "./handlers/PaymentHandlers.ts"
import { acceptQuote, createQuote, getQuote, listQuotes, rejectQuote, sendQuote } from "./handlers/QuoteHandlers.ts"
import { ClientRepository } from "./repositories/ClientRepository.ts"
import { InvoiceRepository } from "./repositories/InvoiceRepository.ts"
import { JobRepository } from "./repositories/JobRepository.ts"
import { PaymentRepository } from "./repositories/PaymentRepository.ts"
import { QuoteRepository } from "./repositories/QuoteRepository.ts"
import { seed } from "./seed.ts"

export const DOMAIN = "service"

export { events }

export const catalog = [
  createClient,
  getClient,
  listClients,
  createQuote,
  sendQuote,
  acceptQuote,
  rejectQuote,
  getQuote,
  listQuotes,
  scheduleJob,
  startJob,
  completeJob,
  cancelJob,
  rescheduleJob,
  assignJob,
  getJob,
  listJobs,
  issueInvoice,
  sendInvoice,
  voidInvoice,
  getInvoice,
  listInvoices,
  recordPayment,
  refundPayment
] as const

/**
 * The app's migrations, run in its own `service` schema with its own `service.migrations` table.
 * Add one: a new `migrations/000N_name.ts` default-exporting an Effect, listed here.
 */
export const schemaMigrations: Migrations.SchemaMigrations = {
  schema: "service",
  migrations: {
    "0001_create_service": CreateService
  }
}

/** Runs the `service` schema's migrations when built. */
export const migrations = Migrations.layer(schemaMigrations)

/** Repositories and ids: everything the handlers and the consumer use. Needs a `SqlClient`. */
export const services = Layer.mergeAll(
  ClientRepository.layer,
  QuoteRepository.layer,
  JobRepository.layer,
  InvoiceRepository.layer,
  PaymentRepository.layer,
  ServiceIds.layer
)

/** The contracts on the `HttpRouter`, with the app's OpenAPI document and docs page under `/service`. */
export const routes = ContractServer.layer({
  domain: DOMAIN,
  catalog,
  events,
  openapiPath: "/service/openapi.json",
  docsPath: "/service/docs"
}).pipe(Layer.provide(services))

/** The app's event consumers. */
export const consumers = [CrmDealsConsumer] as const

/** Dispatcher workers running the consumers for the layer's lifetime (any number of processes may). */
export const workers = (options: Partial<Worker.Options> = {}) =>
  Worker.layer(consumers, { registry, ...options }).pipe(Layer.provide(services))

export const ServiceApp = App.make({
  domain: DOMAIN,
  name: "The service business",
  port: 3002,
  main: new URL("./main.ts", import.meta.url),
  catalog,
  migrations,
  routes,
  workers: workers(),
  seed
})
