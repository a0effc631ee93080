import { assert, layer } from "@effect/vitest"
import * as TestDatabase from "@tessera/test-harness/TestDatabase"
import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import * as ContractKitSchema from "../src/ContractKitSchema.ts"
import * as IdempotencyRetention from "../src/IdempotencyRetention.ts"

const TestLayer = ContractKitSchema.layer.pipe(Layer.provideMerge(TestDatabase.layer()))

layer(TestLayer, { excludeTestServices: true })("idempotency retention", (it) => {
  it.effect("purges records older than the retention and keeps the recent ones", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      yield* sql`
        INSERT INTO contract_kit.idempotency_keys (organization_id, operation, key, request_hash, status, body, created_at)
        VALUES ('org', 'sample.task.create', 'old', 'h', 200, '{}', now() - interval '25 hours'),
               ('org', 'sample.task.create', 'recent', 'h', 200, '{}', now() - interval '1 hour')`
      assert.strictEqual(yield* IdempotencyRetention.purge("24 hours"), 1)
      const left = yield* sql<{ key: string }>`SELECT key FROM contract_kit.idempotency_keys`
      assert.deepStrictEqual(left, [{ key: "recent" }])
      assert.strictEqual(yield* IdempotencyRetention.purge("24 hours"), 0)
    })
  )
})
