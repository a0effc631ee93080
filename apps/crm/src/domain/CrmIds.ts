/**
 * Fresh ids for CRM entities: a type prefix and a UUIDv7 (`deal_0194f3c2-…`), so ids sort by
 * creation time and say what they name. Generated through `EventIds`, so tests control them.
 */
import { EventIds } from "@tessera/envelope/EventIds"
import { Context, Effect, Layer } from "effect"

export type IdPrefix = "pipe" | "stage" | "deal" | "contact" | "company" | "task"

export class CrmIds extends Context.Service<CrmIds, { readonly next: (prefix: IdPrefix) => Effect.Effect<string> }>()(
  "@tessera/crm/CrmIds"
) {
  static readonly layer = Layer.effect(
    CrmIds,
    Effect.map(EventIds, (ids) => CrmIds.of({ next: (prefix) => Effect.map(ids.next, (uuid) => `${prefix}_${uuid}`) }))
  ).pipe(Layer.provide(EventIds.layer))
}
