/**
 * The CRM domain: pipelines, deals, contacts, companies and tasks. Each module holds its
 * contracts and errors; `Events` the events the CRM publishes; `Catalog` the whole list.
 * Import a module by subpath (`@tessera/contracts/crm/Deals`) or everything from here.
 */
export * from "./crm/Catalog.ts"
export * from "./crm/Companies.ts"
export * from "./crm/Contacts.ts"
export * from "./crm/Deals.ts"
export * from "./crm/Events.ts"
export * from "./crm/Pipelines.ts"
export * from "./crm/Shared.ts"
export * from "./crm/Tasks.ts"
