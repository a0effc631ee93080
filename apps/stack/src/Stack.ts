/**
 * The composition root `npm start` runs: one database, every app, the dispatcher's workers, one
 * HTTP port (3000). The same apps also run alone, each from its own `main.ts`.
 *
 * Mount an app: add its `App` value to `apps` (and its package to this app's dependencies).
 */
import type * as App from "@tessera/contract-server/App"
import type * as AppProcess from "@tessera/contract-server/AppProcess"
import { catalog as crmContracts } from "@tessera/contracts/crm/Catalog"
import { catalog as dispatchContracts } from "@tessera/contracts/dispatch/Catalog"
import { catalog as integrationContracts } from "@tessera/contracts/integration-hub/Catalog"
import { catalog as learningContracts } from "@tessera/contracts/learning-journey/Catalog"
import { registry } from "@tessera/contracts/registry"
import { catalog as serviceContracts } from "@tessera/contracts/service-business/Catalog"
import { CrmApp } from "@tessera/crm/CrmApp"
import * as DispatchAdmin from "@tessera/dispatcher/DispatchAdmin"
import * as DispatchMigrations from "@tessera/dispatcher/DispatchMigrations"
import * as Outbox from "@tessera/dispatcher/Outbox"
import * as Worker from "@tessera/dispatcher/Worker"
import { IntegrationApp } from "@tessera/integration-hub/IntegrationApp"
import { LearningApp } from "@tessera/learning-journey/LearningApp"
import { OperationsApp } from "@tessera/operations/OperationsApp"
import { ServiceApp } from "@tessera/service-business/ServiceApp"
import * as FrontDoor from "./FrontDoor.ts"

/** Every mounted app, in the order `/health` and the docs list them. */
export const apps: ReadonlyArray<App.App> = [CrmApp, ServiceApp, IntegrationApp, LearningApp, OperationsApp]

/** What `/`, `/openapi.json`, `/docs` and Studio's catalog list: each mounted domain's contracts. */
export const domains: ReadonlyArray<FrontDoor.Domain> = [
  { domain: "crm", name: "The CRM", contracts: crmContracts, openapiPath: "/crm/openapi.json", docsPath: "/crm/docs" },
  {
    domain: "service",
    name: "The service business",
    contracts: serviceContracts,
    openapiPath: "/service/openapi.json",
    docsPath: "/service/docs"
  },
  {
    domain: "integration",
    name: "The integration hub",
    contracts: integrationContracts,
    openapiPath: "/integration/openapi.json",
    docsPath: "/integration/docs"
  },
  {
    domain: "learning",
    name: "The learning journey",
    contracts: learningContracts,
    openapiPath: "/learning/openapi.json",
    docsPath: "/learning/docs"
  },
  {
    domain: "dispatch",
    name: "Operations (dispatcher admin)",
    contracts: dispatchContracts,
    openapiPath: "/dispatch/openapi.json",
    docsPath: "/dispatch/docs"
  }
]

/** The landing page, the merged OpenAPI document and docs, the catalog JSON and Studio. */
export const FrontDoorApp = FrontDoor.make({ domains, registry })

export const options: AppProcess.Options = {
  name: "Tessera",
  defaultPort: 3000,
  apps: [...apps, FrontDoorApp],
  migrations: DispatchMigrations.layer,
  eventSink: Outbox.layer(registry),
  // Consumer lag and dead letters in /health, /health/ready and /metrics; workers on their own pool.
  dispatch: { health: DispatchAdmin.healthSummary, workerPool: Worker.pool }
}
