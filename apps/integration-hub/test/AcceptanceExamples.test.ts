/**
 * Every example of every integration-hub contract, run as written against the real app: the
 * state the example presumes is put in place (with the example's own ids), the example's input
 * is sent over HTTP, and the answer must equal the example's output — except for what the server
 * generates (new ids, timestamps of now), which must have the right form.
 *
 * This is how the seed's `integration.syncConfig.create` works as written:
 * `{ name: "Contacts Sync", sourceConnectionId: "conn-1", targetConnectionId: "conn-2" }` answers
 * `{ id, status: "active", … }`.
 */
import { assert, layer } from "@effect/vitest"
import { catalog } from "@tessera/contracts/integration-hub/Catalog"
import * as AppTest from "@tessera/test-kit/AppTest"
import * as Examples from "@tessera/test-kit/Examples"
import { Effect } from "effect"
import { HttpClient, HttpClientRequest } from "effect/http"
import { SqlClient } from "effect/sql"
import { IntegrationApp } from "../src/IntegrationApp.ts"

type World = "conn1" | "conn2" | "sync"

/** What each example presumes exists, by example key. */
const given: Record<string, ReadonlyArray<World>> = {
  "create-partner-api": [],
  "get-partner-api": ["conn1"],
  "list-one-connection": ["conn1"],
  "create-contact-sync": ["conn1", "conn2"],
  "get-contact-sync": ["conn1", "conn2", "sync"],
  "map-full-name": ["conn1", "conn2", "sync"],
  "trigger-contact-sync": ["conn1", "conn2", "sync"]
}

const CREATED = "2025-01-20T09:00:00.000Z"
const REST = JSON.stringify({
  kind: "rest",
  baseUrl: "https://api.partner.example",
  read: { path: "/contacts", pagination: "cursor" },
  write: { path: "/contacts", mode: "each" }
})

const build = (organizationId: string, parts: ReadonlyArray<World>) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const has = (part: World) => parts.includes(part)
    for (const [part, id, name] of [
      ["conn1", "conn-1", "Partner API"],
      ["conn2", "conn-2", "Warehouse API"]
    ] as const) {
      if (!has(part)) continue
      yield* sql`
        INSERT INTO integration.connections (organization_id, id, name, kind, config, status, credentials,
          credentials_updated_at, created_by, created_at, updated_at)
        VALUES (${organizationId}, ${id}, ${name}, 'rest', ${REST}::jsonb, 'active', 'v1:sealed-elsewhere',
          ${CREATED}, 'user-1', ${CREATED}, ${CREATED})`
    }
    if (has("sync")) {
      yield* sql`
        INSERT INTO integration.sync_configs (organization_id, id, name, source_connection_id, target_connection_id,
          direction, conflict_policy, page_size, status, created_by, created_at, updated_at)
        VALUES (${organizationId}, 'sync-123', 'Contacts Sync', 'conn-1', 'conn-2', 'source_to_target', 'source_wins',
          100, 'active', 'user-1', ${CREATED}, ${CREATED})`
    }
  })

const normalize = Examples.normalizer({
  ids: Examples.generatedId(["conn", "sync", "map", "run"])
})

const examples = Examples.examplesOf(catalog)

layer(AppTest.layer([IntegrationApp]), { excludeTestServices: true })(
  "every integration-hub example, as written",
  (it) => {
    it("every example has its given state here", () => {
      assert.isAbove(examples.length, 0)
      for (const { contract, example } of examples) {
        assert.isDefined(given[example.key], `${contract.key}: example ${example.key} has no given state here`)
      }
    })

    examples.forEach(({ contract, example }, index) => {
      it.effect(`${contract.key}: ${example.key}`, () =>
        Effect.gen(function* () {
          const organizationId = `org_example_${index}`
          yield* build(organizationId, given[example.key] ?? [])
          const token = yield* AppTest.auth.mint({ userId: "user-1", organizationId, roles: [] })
          const http = yield* HttpClient.HttpClient
          const response = yield* http.execute(
            HttpClientRequest.post(contract.http.path).pipe(
              HttpClientRequest.bodyJsonUnsafe(example.input),
              HttpClientRequest.bearerToken(token)
            )
          )
          const body = yield* response.json
          assert.strictEqual(response.status, 200, JSON.stringify(body))
          assert.deepStrictEqual(normalize(body, example.output), example.output)
        })
      )
    })
  }
)
