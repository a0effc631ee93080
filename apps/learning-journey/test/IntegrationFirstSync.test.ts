/**
 * The built-in "First sync" track fed with the integration hub's events as the dispatcher
 * delivers them: a connection, a sync config with a mapping and a succeeded run complete it
 * (500 XP and its badge); a partially failed run does not count.
 */
import { randomUUID } from "node:crypto"
import { assert, layer } from "@effect/vitest"
import * as IntegrationEvents from "@tessera/contracts/integration-hub/Events"
import { Effect } from "effect"
import { INTEGRATION_FIRST_SYNC_ID } from "../src/domain/IntegrationFirstSync.ts"
import { installBuiltInTracks } from "../src/seed.ts"
import { type IncomingEvent, Progression } from "../src/services/Progression.ts"
import { type JourneyEvent, journeyEvent } from "./support/FirstWin.ts"
import { WithServices } from "./support/LearningTestLayer.ts"

const at = (minutes: number) => new Date(Date.parse("2025-01-20T09:00:00.000Z") + minutes * 60_000).toISOString()

const incoming = (event: JourneyEvent): IncomingEvent => ({
  eventId: randomUUID(),
  eventType: event.definition.type,
  eventVersion: event.definition.version,
  payload: event.json,
  occurredAt: new Date(event.occurredAt)
})

const counts = { processed: 3, created: 3, updated: 0, skipped: 0, failed: 0 }

layer(WithServices, { excludeTestServices: true })("First sync track", (it) => {
  it.effect("a connection, a sync config, a mapping and a succeeded run complete it", () =>
    Effect.gen(function* () {
      yield* installBuiltInTracks("org_sync")
      const progression = yield* Progression
      const events = [
        journeyEvent(IntegrationEvents.ConnectionCreated, { connectionId: "conn_1", kind: "ndjson" }, at(0)),
        journeyEvent(
          IntegrationEvents.SyncConfigCreated,
          {
            syncConfigId: "sync_1",
            name: "Contacts Sync",
            sourceConnectionId: "conn_1",
            targetConnectionId: "conn_2",
            schedule: null,
            createdBy: "u1"
          },
          at(1)
        ),
        journeyEvent(
          IntegrationEvents.FieldMappingAdded,
          { mappingId: "map_1", syncConfigId: "sync_1", targetField: "firstName", ruleType: "direct" },
          at(2)
        ),
        journeyEvent(
          IntegrationEvents.SyncCompleted,
          { runId: "run_1", syncConfigId: "sync_1", status: "partially_failed", counts, pages: 1, finishedAt: at(3) },
          at(3)
        ),
        journeyEvent(
          IntegrationEvents.SyncCompleted,
          { runId: "run_2", syncConfigId: "sync_1", status: "succeeded", counts, pages: 1, finishedAt: at(4) },
          at(4)
        )
      ].map(incoming)
      const results = yield* Effect.forEach(events, (event) => progression.record("org_sync", "u1", event))
      assert.deepStrictEqual(
        results.map((result) =>
          result.emissions.map((e) => (e._tag === "StepCompleted" ? e.payload.stepId : e._tag)).join(",")
        ),
        ["Started,create-connection", "", "create-sync-config", "", "successful-run,Completed"]
      )
      const [progress] = yield* progression.progress("org_sync", "u1", INTEGRATION_FIRST_SYNC_ID)
      assert.strictEqual(progress?.status, "completed")
      assert.strictEqual(progress?.xp, 500)
      assert.deepStrictEqual(progress?.badges, ["integration-first-sync"])
    })
  )
})
