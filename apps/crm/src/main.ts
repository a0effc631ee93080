/**
 * The CRM alone in a process (`pnpm --filter @tessera/crm start`, port 3001): its contracts over
 * HTTP against the shared Postgres (`DATABASE_URL`, or the embedded server). Any number of such
 * processes, and the other apps' own, can share one database.
 */
import * as AppProcess from "@tessera/contract-kit/AppProcess"
import { registry } from "@tessera/contracts/registry"
import * as DispatchMigrations from "@tessera/dispatcher/DispatchMigrations"
import * as Outbox from "@tessera/dispatcher/Outbox"
import { Layer } from "effect"
import * as CrmApp from "./CrmApp.ts"

AppProcess.main({
  name: "The CRM",
  defaultPort: 3001,
  apps: [CrmApp.DOMAIN],
  migrations: Layer.mergeAll(DispatchMigrations.layer, CrmApp.migrations),
  routes: CrmApp.routes,
  eventSink: Outbox.layer(registry)
})
