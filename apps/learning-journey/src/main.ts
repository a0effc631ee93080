/**
 * The learning journey alone in a process (`pnpm --filter @tessera/learning-journey start`, port
 * 3004): its contracts over HTTP and its consumer of the CRM's events, against the shared Postgres
 * (`DATABASE_URL`, or the embedded server). Any number of such processes, and the other apps' own,
 * can share one database: the dispatcher's deliveries are leased.
 */
import * as AppProcess from "@tessera/contract-server/AppProcess"
import { registry } from "@tessera/contracts/registry"
import * as DispatchProcess from "@tessera/dispatcher/DispatchProcess"
import { LearningApp } from "./LearningApp.ts"

AppProcess.main({
  name: LearningApp.name,
  defaultPort: LearningApp.port,
  apps: [LearningApp],
  ...DispatchProcess.options(registry)
})
