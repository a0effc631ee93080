/**
 * What every Tessera process runs of the dispatcher, in one value an app's `main.ts` (and the
 * stack) spreads into its `AppProcess` options: the `dispatch` schema's migrations, the outbox as
 * the apps' `EventSink`, the consumers' health figures for `/health`, `/health/ready` and
 * `/metrics`, the workers' own pool, and the retention of events, inbox rows and dead letters.
 *
 *   AppProcess.main({ name: CrmApp.name, defaultPort: CrmApp.port, apps: [CrmApp], ...DispatchProcess.options(registry) })
 */
import type * as Registry from "@tessera/envelope/Registry"
import * as DispatchAdmin from "./DispatchAdmin.ts"
import * as DispatchMigrations from "./DispatchMigrations.ts"
import * as Outbox from "./Outbox.ts"
import * as Retention from "./Retention.ts"
import * as Worker from "./Worker.ts"

export const options = (registry: Registry.Registry) => ({
  migrations: DispatchMigrations.layer,
  eventSink: Outbox.layer(registry),
  dispatch: { health: DispatchAdmin.healthSummary, workerPool: Worker.pool, retention: Retention.layer }
})
