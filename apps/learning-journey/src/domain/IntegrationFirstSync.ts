/**
 * The built-in "First sync" track: the integration hub's first working sync, from a connection to
 * a run that succeeded. Written with the typed condition builder over the hub's event
 * definitions, like the CRM first win.
 *
 * Creating the sync config and mapping a field are one step, completed by
 * `integration.mapping.added` (a mapping needs a sync config): a condition cannot name
 * `integration.syncConfig.created`, whose type the learning contracts' stable `EventType` pattern
 * (lower-case segments only, stricter than the envelope's) refuses.
 */
import { ConnectionCreated, FieldMappingAdded, SyncCompleted } from "@tessera/contracts/integration-hub/Events"
import * as Conditions from "@tessera/contracts/learning-journey/Conditions"
import { TrackId } from "@tessera/contracts/learning-journey/Shared"
import type { TrackDefinition } from "@tessera/contracts/learning-journey/Tracks"

/** Its id is the same in every organization. */
export const INTEGRATION_FIRST_SYNC_ID: TrackId = TrackId.make("integration-first-sync")

export const IntegrationFirstSync: TrackDefinition = {
  product: "integration",
  name: "First sync",
  description: "Connect a system, define a sync with a mapping and run it successfully.",
  steps: [
    {
      id: "create-connection",
      title: "Create a connection",
      instructions: "Connect a REST API, a CSV or NDJSON file, or the CRM.",
      condition: Conditions.event(ConnectionCreated),
      xp: 50,
      prerequisites: [],
      required: true
    },
    {
      id: "create-sync-config",
      title: "Create a sync config and map a field",
      instructions:
        "Say which connection's records go to which, then map a target field: directly, through transforms, from a template or a lookup table.",
      condition: Conditions.event(FieldMappingAdded),
      xp: 150,
      prerequisites: ["create-connection"],
      required: true
    },
    {
      id: "successful-run",
      title: "Run it successfully",
      instructions: "Trigger the sync and let it finish without a failed record.",
      condition: Conditions.event(SyncCompleted, { where: { status: "succeeded" } }),
      xp: 150,
      prerequisites: ["create-sync-config"],
      required: true
    }
  ],
  completion: { xpBonus: 150, badge: "integration-first-sync" },
  streak: null
}
