import { assert, layer } from "@effect/vitest"
import * as TestDatabase from "@tessera/test-harness/TestDatabase"
import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import * as AuditRetention from "../src/AuditRetention.ts"
import * as ContractKitSchema from "../src/ContractKitSchema.ts"

const TestLayer = ContractKitSchema.layer.pipe(Layer.provideMerge(TestDatabase.layer()))

layer(TestLayer, { excludeTestServices: true })("audit retention", (it) => {
  it.effect("purges audit rows older than the retention, in batches, and keeps the recent ones", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      yield* sql`
        INSERT INTO contract_kit.audit_log (occurred_at, organization_id, actor_type, actor_id, contract_key,
          contract_version, action, request_id, correlation_id, input)
        SELECT now() - (CASE WHEN g <= 5 THEN interval '91 days' ELSE interval '1 day' END), 'org', 'user', 'u',
          'sample.task.create', '1', 'command', 'r' || g, 'c', '{}'::jsonb
        FROM generate_series(1, 7) g`
      assert.strictEqual(yield* AuditRetention.purge("90 days", 2), 5)
      const left = yield* sql<{ request_id: string }>`SELECT request_id FROM contract_kit.audit_log ORDER BY request_id`
      assert.deepStrictEqual(
        left.map((r) => r.request_id),
        ["r6", "r7"]
      )
      assert.strictEqual(yield* AuditRetention.purge("90 days", 2), 0)
    })
  )
})
