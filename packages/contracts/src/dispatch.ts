/**
 * The dispatcher's admin contracts (`dispatch.*`): consumers and lag, dead letters, events, flows.
 * Subpaths (`@tessera/contracts/dispatch/Admin`) export the same values one module at a time.
 */
export * from "./dispatch/Admin.ts"
export * from "./dispatch/Catalog.ts"
