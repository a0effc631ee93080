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
import * as DispatchProcess from "@tessera/dispatcher/DispatchProcess"
import { IntegrationApp } from "@tessera/integration-hub/IntegrationApp"
import { LearningApp } from "@tessera/learning-journey/LearningApp"
import { OperationsApp } from "@tessera/operations/OperationsApp"
import { ServiceApp } from "@tessera/service-business/ServiceApp"
import * as FrontDoor from "./FrontDoor.ts"

/** Every mounted app, in the order `/health` and the docs list them. */
export const apps: ReadonlyArray<App.App> = [CrmApp, ServiceApp, IntegrationApp, LearningApp, OperationsApp]

/** What `/`, `/openapi.json`, `/docs` and Studio's catalog list: each mounted domain's contracts. */
export const domains: ReadonlyArray<FrontDoor.Domain> = FrontDoor.domainsOf(apps)

/** Each mounted app's own `main.ts`, by domain: how tests run the apps as separate processes. */
export const mains: Readonly<Record<string, URL>> = Object.fromEntries(
  apps.flatMap((app) => (app.main === undefined ? [] : [[app.domain, app.main]]))
)

/** The landing page, the merged OpenAPI document and docs, the catalog JSON and Studio. */
export const FrontDoorApp = FrontDoor.make({ domains, registry })

export const options: AppProcess.Options = {
  name: "Tessera",
  defaultPort: 3000,
  apps: [...apps, FrontDoorApp],
  // The dispatch schema, the outbox, consumer lag and dead letters in /health, /health/ready and
  // /metrics, and the workers' own pool.
  ...DispatchProcess.options(registry)
}
