/**
 * The integration hub alone in a process (`pnpm --filter @tessera/integration-hub start`, port
 * 3003), against the shared Postgres (`DATABASE_URL`, or the embedded server).
 */
import * as AppProcess from "@tessera/contract-server/AppProcess"
import { registry } from "@tessera/contracts/registry"
import * as DispatchProcess from "@tessera/dispatcher/DispatchProcess"
import { IntegrationApp } from "./IntegrationApp.ts"

AppProcess.main({
  name: IntegrationApp.name,
  defaultPort: IntegrationApp.port,
  apps: [IntegrationApp],
  ...DispatchProcess.options(registry)
})
