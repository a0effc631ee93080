/**
 * The operations app alone in a process (`pnpm --filter @tessera/operations start`, port 3009),
 * against the shared Postgres (`DATABASE_URL`, or the embedded server).
 */
import * as AppProcess from "@tessera/contract-server/AppProcess"
import { registry } from "@tessera/contracts/registry"
import * as DispatchMigrations from "@tessera/dispatcher/DispatchMigrations"
import * as Outbox from "@tessera/dispatcher/Outbox"
import { OperationsApp } from "./OperationsApp.ts"

AppProcess.main({
  name: OperationsApp.name,
  defaultPort: OperationsApp.port,
  apps: [OperationsApp],
  migrations: DispatchMigrations.layer,
  eventSink: Outbox.layer(registry)
})
