/**
 * Fresh ids for the hub's entities: a type prefix and a UUIDv7 (`conn_0194f3c2-…`). Generated
 * through `EventIds`, so tests control them.
 */
import { EventIds } from "@tessera/envelope/EventIds"
import { Context, Effect, Layer } from "effect"

export type IdPrefix = "conn" | "sync" | "map" | "run"

export class IntegrationIds extends Context.Service<
  IntegrationIds,
  { readonly next: (prefix: IdPrefix) => Effect.Effect<string> }
>()("@tessera/integration-hub/IntegrationIds") {
  static readonly layer = Layer.effect(
    IntegrationIds,
    Effect.map(EventIds, (ids) =>
      IntegrationIds.of({ next: (prefix) => Effect.map(ids.next, (uuid) => `${prefix}_${uuid}`) })
    )
  ).pipe(Layer.provide(EventIds.layer))
}
