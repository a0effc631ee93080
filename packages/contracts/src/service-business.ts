/**
 * The service business domain: clients, quotes, jobs, invoices and payments. Each module holds
 * its contracts and errors; `Events` the events it publishes; `Catalog` the whole list. Import a
 * module by subpath (`@tessera/contracts/service-business/Jobs`) or everything from here.
 */
export * from "./service-business/Catalog.ts"
export * from "./service-business/Clients.ts"
export * from "./service-business/Events.ts"
export * from "./service-business/Invoices.ts"
export * from "./service-business/Jobs.ts"
export * from "./service-business/Payments.ts"
export * from "./service-business/Quotes.ts"
export * from "./service-business/Shared.ts"
