/**
 * The CRM alone in a process (`pnpm --filter @tessera/crm start`, port 3001), against the shared
 * Postgres (`DATABASE_URL`, or the embedded server). Any number of such processes, and the other
 * apps' own, can share one database.
 */
import * as AppProcess from "@tessera/contract-server/AppProcess"
import { registry } from "@tessera/contracts/registry"
import * as DispatchProcess from "@tessera/dispatcher/DispatchProcess"
import { CrmApp } from "./CrmApp.ts"

AppProcess.main({ name: CrmApp.name, defaultPort: CrmApp.port, apps: [CrmApp], ...DispatchProcess.options(registry) })
