/**
 * The composition root `npm start` runs: one database, every app, the dispatcher's workers, one
 * HTTP port (3000). The same apps also run alone, each from its own `main.ts`.
 *
 * Mount an app: add its `App` value to `apps` (and its package to this app's dependencies).
 */
import type * as App from "@tessera/contract-server/App"
import type * as AppProcess from "@tessera/contract-server/AppProcess"
import { registry } from "@tessera/contracts/registry"
import { CrmApp } from "@tessera/crm/CrmApp"
import * as DispatchMigrations from "@tessera/dispatcher/DispatchMigrations"
import * as Outbox from "@tessera/dispatcher/Outbox"
import { LearningApp } from "@tessera/learning-journey/LearningApp"

/** Every mounted app, in the order `/health` and the docs list them. */
export const apps: ReadonlyArray<App.App> = [CrmApp, LearningApp]

export const options: AppProcess.Options = {
  name: "Tessera",
  defaultPort: 3000,
  apps,
  migrations: DispatchMigrations.layer,
  eventSink: Outbox.layer(registry)
}
