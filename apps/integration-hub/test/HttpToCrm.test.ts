/**
 * HTTP → CRM end to end, through the dispatcher only: a REST API on loopback is the source, the
 * Tessera CRM the target. The hub's run publishes `integration.record.synced`; the CRM's own
 * consumer (`crm.integrationRecords`, running in the same test as its real worker) upserts each
 * record as a contact by external id. A changed record updates its contact, never duplicates it.
 */
import { assert, layer } from "@effect/vitest"
import * as ContractApi from "@tessera/contract-kit/ContractApi"
import { catalog as crmCatalog } from "@tessera/contracts/crm/Catalog"
import { CrmApp } from "@tessera/crm/CrmApp"
import * as AppTest from "@tessera/test-kit/AppTest"
import { Effect, Layer } from "effect"
import { IntegrationApp } from "../src/IntegrationApp.ts"
import * as FakeRemote from "./support/FakeRemote.ts"
import { clientAs, eventually, freshOrg, readFile, storedEvents } from "./support/IntegrationTestLayer.ts"

const CrmApi = ContractApi.make("crm", crmCatalog)

const TestLayer = Layer.merge(AppTest.layer([IntegrationApp, CrmApp], { workers: true }), FakeRemote.layer)

layer(TestLayer, { excludeTestServices: true })("HTTP → CRM", (it) => {
  it.effect("records of a REST API become CRM contacts, upserted by external id", () =>
    Effect.gen(function* () {
      const { organizationId, user } = freshOrg("crmsync")
      const remote = yield* FakeRemote.FakeRemote
      remote.source = Array.from({ length: 30 }, (_, i) => ({
        id: `ext-${i}`,
        given: `Given${i}`,
        family: `Family${i}`,
        mail: `person${i}@example.com`
      }))
      const hub = yield* clientAs(user)
      const source = yield* hub.integration["integration.connection.create"]({
        payload: {
          name: "Partner",
          config: { kind: "rest", baseUrl: remote.url, read: { path: "/contacts", pagination: "cursor" } }
        }
      })
      const crm = yield* hub.integration["integration.connection.create"]({
        payload: { name: "Our CRM", config: { kind: "crm" } }
      })
      const config = yield* hub.integration["integration.syncConfig.create"]({
        payload: { name: "Partner → CRM", sourceConnectionId: source.id, targetConnectionId: crm.id, pageSize: 8 }
      })
      for (const [targetField, sourceField] of [
        ["firstName", "given"],
        ["lastName", "family"],
        ["email", "mail"]
      ] as const) {
        yield* hub.integration["integration.fieldMapping.add"]({
          payload: { syncConfigId: config.id, targetField, rule: { type: "direct", sourceField } }
        })
      }
      const run = (expect: (r: { created: number; updated: number; skipped: number }) => void) =>
        Effect.gen(function* () {
          const queued = yield* hub.integration["integration.sync.trigger"]({ payload: { syncConfigId: config.id } })
          const done = yield* eventually(
            Effect.map(hub.integration["integration.syncRun.get"]({ payload: { runId: queued.id } }), (r) =>
              r.status === "queued" || r.status === "running" ? undefined : r
            )
          )
          assert.strictEqual(done.status, "succeeded", JSON.stringify(done))
          expect(done)
        })
      const crmClient = yield* AppTest.client(CrmApi, user)
      const contacts = (expected: number) =>
        eventually(
          Effect.map(crmClient.crm["crm.contact.list"]({ payload: { limit: 100 } }), (page) =>
            page.items.length === expected ? page.items : undefined
          )
        )

      yield* run((r) => assert.deepStrictEqual([r.created, r.updated, r.skipped], [30, 0, 0]))
      const first = yield* contacts(30)
      const ada = first.find((c) => c.email === "person3@example.com")
      assert.strictEqual(ada?.firstName, "Given3")
      assert.strictEqual(ada?.lastName, "Family3")
      assert.strictEqual(ada?.ownerId, user.userId)

      // One record changes at the source: one update, the same contact, no duplicate.
      remote.source = remote.source.map((r) => (r.id === "ext-3" ? { ...r, family: "Lovelace" } : r))
      yield* run((r) => assert.deepStrictEqual([r.created, r.updated, r.skipped], [0, 1, 29]))
      const second = yield* eventually(
        Effect.map(contacts(30), (items) =>
          items.find((c) => c.email === "person3@example.com")?.lastName === "Lovelace" ? items : undefined
        )
      )
      assert.strictEqual(second.find((c) => c.email === "person3@example.com")?.id, ada?.id)

      const synced = (yield* storedEvents(organizationId)).filter((e) => e.event_type === "integration.record.synced")
      assert.strictEqual(synced.length, 31)
    })
  )

  it.effect("the CRM's contact.created events feed an outbound sync (CRM → file)", () =>
    Effect.gen(function* () {
      const { user } = freshOrg("outbound")
      const hub = yield* clientAs(user)
      const crm = yield* hub.integration["integration.connection.create"]({
        payload: { name: "Our CRM", config: { kind: "crm" } }
      })
      const file = yield* hub.integration["integration.connection.create"]({
        payload: { name: "Export", config: { kind: "ndjson", path: "crm-export.ndjson" } }
      })
      const config = yield* hub.integration["integration.syncConfig.create"]({
        payload: { name: "CRM → file", sourceConnectionId: crm.id, targetConnectionId: file.id }
      })
      const crmClient = yield* AppTest.client(CrmApi, user)
      const ada = yield* crmClient.crm["crm.contact.create"]({ payload: { firstName: "Ada" } })
      const done = yield* eventually(
        Effect.map(hub.integration["integration.syncRun.list"]({ payload: { syncConfigId: config.id } }), (page) =>
          page.items.some((run) => run.status === "succeeded" && run.created >= 1) ? page.items : undefined
        )
      )
      assert.isAbove(done.length, 0)
      const lines = readFile("crm-export.ndjson")
        .trimEnd()
        .split("\n")
        .map((line) => JSON.parse(line))
      assert.deepInclude(lines, { id: ada.id, companyId: null, ownerId: user.userId })
    })
  )
})
