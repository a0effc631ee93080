/**
 * PostgreSQL restarted while a worker drains a backlog: on its own embedded server (the test run's
 * shared server cannot be restarted under the other test files).
 */
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { PgClient } from "@effect/sql-pg"
import { assert, it } from "@effect/vitest"
import * as EmbeddedPostgres from "@tessera/database/EmbeddedPostgres"
import { EventSink } from "@tessera/envelope/EventSink"
import { Duration, Effect, Exit, Layer, Scope } from "effect"
import { SqlClient } from "effect/sql"
import * as DispatchMigrations from "../src/DispatchMigrations.ts"
import * as Outbox from "../src/Outbox.ts"
import * as Worker from "../src/Worker.ts"
import { billing } from "./fixtures/Consumers.ts"
import { OrderPlacedV2, registry } from "./fixtures/Shop.ts"
import { context, event, waitFor } from "./fixtures/Support.ts"

const EVENTS = 2000

const isAlive = (pid: number) =>
  Effect.sync(() => {
    try {
      process.kill(pid, 0)
      return true
    } catch {
      return false
    }
  })

const countOf = (query: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(
      sql.unsafe<{ readonly n: number }>(`SELECT count(*)::int AS n FROM (${query}) q`),
      (rows) => rows[0]?.n ?? 0
    )
  )

it.live(
  "Postgres restarted mid-stream → 0 lost, 0 duplicated effects, nothing counted as abandoned",
  () =>
    Effect.gen(function* () {
      const root = Fs.mkdtempSync(Path.join(Os.tmpdir(), "tessera-restart-"))
      Fs.chmodSync(root, 0o755)
      yield* Effect.addFinalizer(() => Effect.sync(() => Fs.rmSync(root, { recursive: true, force: true })))
      const dataDir = Path.join(root, "data")
      const firstScope = yield* Scope.make()
      const first = yield* EmbeddedPostgres.start({ dataDir, port: 0, ephemeral: true, relocateBinaries: true }).pipe(
        Scope.provide(firstScope)
      )
      const url = first.url("postgres")
      const database = Layer.mergeAll(Outbox.layer(registry)).pipe(
        Layer.provideMerge(DispatchMigrations.layer),
        Layer.provideMerge(PgClient.layer({ url, maxConnections: 4 })),
        Layer.orDie
      )
      const context_ = yield* Layer.build(database)
      yield* Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        yield* sql`CREATE TABLE effects (id bigserial PRIMARY KEY, consumer text NOT NULL, event_id uuid NOT NULL,
          subject text NOT NULL, seq integer NOT NULL, worker text, version_seen integer)`
        const sink = yield* EventSink
        for (let i = 0; i < EVENTS; i += 100) {
          yield* sink.publish(
            Array.from({ length: 100 }, (_, k) =>
              event(OrderPlacedV2, { orderId: `r${(i + k) % 50}`, seq: i + k, total: { amount: 1, currency: "EUR" } })
            ),
            context
          )
        }
      }).pipe(Effect.provide(context_))

      // The worker on its own pool; any abandoned lease would dead-letter at once (maxAbandoned 1).
      const pool = yield* Layer.build(
        Worker.poolLayer(
          { url },
          {
            size: 6,
            statementTimeout: Duration.seconds(5),
            lockTimeout: Duration.seconds(2),
            idleInTransactionTimeout: Duration.seconds(5)
          }
        ).pipe(Layer.orDie)
      )
      yield* Worker.run(billing("restart"), {
        registry,
        maxAbandoned: 1,
        leaseDuration: "10 seconds",
        pollInterval: "200 millis"
      }).pipe(Effect.provide(pool))
      const handled = countOf("SELECT 1 FROM effects").pipe(
        Effect.provide(context_),
        Effect.orElseSucceed(() => 0)
      )
      yield* waitFor(
        "the worker under way",
        Effect.map(handled, (n) => n > 200),
        "60 seconds"
      )
      const before = yield* handled
      // A fast shutdown (SIGINT): open transactions abort, connections drop. Then the same data, same port.
      process.kill(first.pid, "SIGINT")
      yield* waitFor(
        "the server to stop",
        Effect.map(isAlive(first.pid), (alive) => !alive),
        "30 seconds"
      )
      yield* EmbeddedPostgres.start({ dataDir, port: first.port, ephemeral: true, relocateBinaries: true })
      yield* Scope.close(firstScope, Exit.void)
      yield* waitFor(
        "every event after the restart",
        Effect.map(handled, (n) => n >= EVENTS),
        "120 seconds"
      )
      const check = Effect.gen(function* () {
        return {
          effects: yield* countOf("SELECT 1 FROM effects"),
          distinct: yield* countOf("SELECT DISTINCT event_id FROM effects"),
          pending: yield* countOf("SELECT 1 FROM dispatch.deliveries"),
          deadLetters: yield* countOf("SELECT 1 FROM dispatch.dead_letters")
        }
      }).pipe(Effect.provide(context_))
      assert.isBelow(before, EVENTS, "the restart happened mid-stream")
      assert.deepStrictEqual(yield* check, { effects: EVENTS, distinct: EVENTS, pending: 0, deadLetters: 0 })
    }).pipe(Effect.scoped),
  180_000
)
