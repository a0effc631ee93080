/**
 * `crm.integrationRecords` against real Postgres with the dispatcher's real outbox and workers:
 * `integration.record.synced` events (published here as the hub would) become contacts upserted
 * by (sync config, external id); the same record again changes nothing, a changed one updates
 * the same contact.
 */
import { assert, layer } from "@effect/vitest"
import { RecordSynced } from "@tessera/contracts/integration-hub/Events"
import type { SyncConfigId, SyncRunId } from "@tessera/contracts/integration-hub/Shared"
import { EventSink } from "@tessera/envelope/EventSink"
import * as AppTest from "@tessera/test-kit/AppTest"
import { Effect, Schedule } from "effect"
import { SqlClient } from "effect/sql"
import { CrmApp } from "../src/CrmApp.ts"

const TestLayer = AppTest.layer([CrmApp], { workers: true })

const publish = (organizationId: string, externalId: string, fields: Record<string, string>, checksum: string) =>
  Effect.flatMap(EventSink, (sink) =>
    sink.publish(
      [
        {
          definition: RecordSynced,
          payload: {
            runId: "run_1" as SyncRunId,
            syncConfigId: "sync_1" as SyncConfigId,
            object: "contacts",
            externalId,
            checksum,
            fields
          }
        }
      ],
      { producer: "integration", organizationId, actor: { type: "user", id: "user-9" }, correlationId: "c-1" }
    )
  )

const contactsOf = (organizationId: string) =>
  Effect.flatMap(
    SqlClient.SqlClient,
    (sql) =>
      sql<{ id: string; first_name: string; last_name: string | null; email: string | null; owner_id: string }>`
      SELECT id, first_name, last_name, email, owner_id FROM crm.contacts WHERE organization_id = ${organizationId} ORDER BY id`
  )

const inbox = (count: number) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<{ n: number }>`SELECT count(*)::int AS n FROM dispatch.inbox WHERE consumer = 'crm.integrationRecords'`.pipe(
      Effect.flatMap((rows) => ((rows[0]?.n ?? 0) >= count ? Effect.void : Effect.fail("not yet"))),
      Effect.retry({ schedule: Schedule.spaced("50 millis"), times: 400 }),
      Effect.orDie
    )
  )

layer(TestLayer, { excludeTestServices: true })("crm.integrationRecords", (it) => {
  it.effect("upserts synced records as contacts by external id", () =>
    Effect.gen(function* () {
      const org = "org_sync"
      yield* publish(org, "ext-1", { firstName: "Ada", lastName: "Byron", email: "ada@example.com" }, "c1")
      yield* publish(org, "ext-2", { name: "Alan Turing", email: "not-an-address" }, "c2")
      yield* inbox(2)
      const first = yield* contactsOf(org)
      assert.strictEqual(first.length, 2)
      const ada = first.find((c) => c.first_name === "Ada")
      assert.deepStrictEqual([ada?.last_name, ada?.email, ada?.owner_id], ["Byron", "ada@example.com", "user-9"])
      const alan = first.find((c) => c.first_name === "Alan")
      assert.isNull(alan?.email ?? null)

      yield* publish(org, "ext-1", { firstName: "Ada", lastName: "Byron", email: "ada@example.com" }, "c1")
      yield* publish(org, "ext-1", { firstName: "Ada", lastName: "Lovelace", email: "ada@example.com" }, "c3")
      yield* inbox(4)
      const second = yield* contactsOf(org)
      assert.strictEqual(second.length, 2)
      const updated = second.find((c) => c.first_name === "Ada")
      assert.strictEqual(updated?.id, ada?.id)
      assert.strictEqual(updated?.last_name, "Lovelace")
    })
  )
})
