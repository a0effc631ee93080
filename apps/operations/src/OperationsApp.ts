/**
 * The operations app: the dispatcher's admin contracts (`dispatch.*`, from
 * `@tessera/contracts/dispatch`) and Studio's live tail, over `DispatchAdmin` (lag, replay,
 * discard, events, deliveries, dead letters, activity) and the kit's audit log (a flow's requests).
 * Admin only. It owns no schema and touches no dispatcher table itself, so it has no migrations.
 *
 * Mounted in `apps/stack`; `main.ts` serves it alone (port 3009) next to other processes.
 */
import * as App from "@tessera/contract-server/App"
import * as ContractServer from "@tessera/contract-server/ContractServer"
import { events } from "@tessera/contracts/dispatch/Catalog"
import { DispatchAdmin } from "@tessera/dispatcher/DispatchAdmin"
import { Layer } from "effect"
import {
  consumerActivity,
  discardDeadLetters,
  getDeadLetter,
  getEvent,
  getFlow,
  listConsumers,
  listDeadLetters,
  listEvents,
  replayDeadLetters
} from "./handlers/DispatchHandlers.ts"
import * as LiveTail from "./handlers/LiveTail.ts"
import { EventLog } from "./services/EventLog.ts"

export const DOMAIN = "dispatch"

export const catalog = [
  listConsumers,
  consumerActivity,
  listDeadLetters,
  getDeadLetter,
  replayDeadLetters,
  discardDeadLetters,
  listEvents,
  getEvent,
  getFlow
] as const

/** `DispatchAdmin` and the `EventLog`. Needs a `SqlClient`. */
export const services = EventLog.layer.pipe(Layer.provideMerge(DispatchAdmin.layer))

export const routes = Layer.mergeAll(
  ContractServer.layer({
    domain: DOMAIN,
    catalog,
    events,
    openapiPath: "/dispatch/openapi.json",
    docsPath: "/dispatch/docs"
  }),
  LiveTail.route
).pipe(Layer.provide(services))

export const OperationsApp = App.make({
  domain: DOMAIN,
  name: "Operations",
  port: 3009,
  main: new URL("./main.ts", import.meta.url),
  catalog,
  migrations: Layer.empty,
  routes
})
