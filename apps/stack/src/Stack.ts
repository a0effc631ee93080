/**
 * The composition root `npm start` runs: one database, every app, the dispatcher's workers, one
 * HTTP port (3000). The same app layers also run alone, each from its own `main.ts`.
 *
 * Mount an app: add its migrations, routes and (if it consumes events) workers below.
 */
import * as AppProcess from "@tessera/contract-kit/AppProcess"
import { registry } from "@tessera/contracts/registry"
import * as CrmApp from "@tessera/crm/CrmApp"
import * as DispatchMigrations from "@tessera/dispatcher/DispatchMigrations"
import * as Outbox from "@tessera/dispatcher/Outbox"
import * as LearningApp from "@tessera/learning-journey/LearningApp"
import { Layer } from "effect"

export const options = {
  name: "Tessera",
  defaultPort: 3000,
  apps: [CrmApp.DOMAIN, LearningApp.DOMAIN],
  migrations: Layer.mergeAll(DispatchMigrations.layer, CrmApp.migrations, LearningApp.migrations),
  routes: Layer.mergeAll(CrmApp.routes, LearningApp.routes),
  workers: LearningApp.workers(),
  eventSink: Outbox.layer(registry)
}

export const layer = AppProcess.layer(options)
