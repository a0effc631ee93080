/**
 * The operations app alone in a process (`pnpm --filter @tessera/operations start`, port 3009),
 * against the shared Postgres (`DATABASE_URL`, or the embedded server).
 */
import * as AppProcess from "@tessera/contract-server/AppProcess"
import { registry } from "@tessera/contracts/registry"
import * as DispatchProcess from "@tessera/dispatcher/DispatchProcess"
import { OperationsApp } from "./OperationsApp.ts"

AppProcess.main({
  name: OperationsApp.name,
  defaultPort: OperationsApp.port,
  apps: [OperationsApp],
  ...DispatchProcess.options(registry)
})
