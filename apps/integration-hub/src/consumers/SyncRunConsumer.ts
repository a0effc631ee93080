/**
 * `integration.sync`: the hub's consumer of its own `integration.sync.requested` events. Each
 * delivery runs one page of a sync run inside the delivery's transaction (see `SyncEngine`), so
 * the page's checkpoint, the inbox row and the next page's request commit together.
 */
import { SyncRequested } from "@tessera/contracts/integration-hub/Events"
import * as Consumer from "@tessera/dispatcher/Consumer"
import { Effect } from "effect"
import { SyncEngine } from "../services/SyncEngine.ts"

export const SyncRunConsumer = Consumer.make({
  name: "integration.sync",
  domain: "integration",
  handlers: [Consumer.on(SyncRequested, (event) => Effect.flatMap(SyncEngine, (engine) => engine.runPage(event)))]
})
