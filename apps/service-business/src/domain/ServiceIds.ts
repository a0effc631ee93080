/**
 * Fresh ids for service-business entities: a type prefix and a UUIDv7 (`job_0194f3c2-…`), so ids
 * sort by creation time and say what they name. Generated through `EventIds`, so tests control them.
 */
import { EventIds } from "@tessera/envelope/EventIds"
import { Context, Effect, Layer } from "effect"

export type IdPrefix = "client" | "quote" | "job" | "invoice" | "payment"

export class ServiceIds extends Context.Service<
  ServiceIds,
  { readonly next: (prefix: IdPrefix) => Effect.Effect<string> }
>()("@tessera/service-business/ServiceIds") {
  static readonly layer = Layer.effect(
    ServiceIds,
    Effect.map(EventIds, (ids) =>
      ServiceIds.of({ next: (prefix) => Effect.map(ids.next, (uuid) => `${prefix}_${uuid}`) })
    )
  ).pipe(Layer.provide(EventIds.layer))
}
