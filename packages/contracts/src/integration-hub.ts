/**
 * The integration hub: connections (with encrypted credentials), sync configurations, field
 * mappings and sync runs. Each module holds its contracts and errors; `Events` the events the hub
 * publishes; `Catalog` the whole list. Import a module by subpath
 * (`@tessera/contracts/integration-hub/SyncConfigs`) or everything from here.
 */
export * from "./integration-hub/Catalog.ts"
export * from "./integration-hub/Connections.ts"
export * from "./integration-hub/Events.ts"
export * from "./integration-hub/FieldMappings.ts"
export * from "./integration-hub/Shared.ts"
export * from "./integration-hub/SyncConfigs.ts"
export * from "./integration-hub/SyncRuns.ts"
