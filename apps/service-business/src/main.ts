/**
 * The service business alone in a process (`pnpm --filter @tessera/service-business start`, port 3002), against the shared
 * Postgres (`DATABASE_URL`, or the embedded server). Any number of such processes, and the other
 * apps' own, can share one database.
 */
import * as AppProcess from "@tessera/contract-server/AppProcess"
import { registry } from "@tessera/contracts/registry"
import * as DispatchProcess from "@tessera/dispatcher/DispatchProcess"
import { ServiceApp } from "./ServiceApp.ts"

AppProcess.main({
  name: ServiceApp.name,
  defaultPort: ServiceApp.port,
  apps: [ServiceApp],
  ...DispatchProcess.options(registry)
})
