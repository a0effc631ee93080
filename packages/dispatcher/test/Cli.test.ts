import { execFile } from "node:child_process"
import * as Path from "node:path"
import { assert, layer } from "@effect/vitest"
import { TestDatabase } from "@tessera/test-harness/TestDatabase"
import { Effect, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import { count, testLayer } from "./fixtures/Support.ts"

const cli = Path.join(import.meta.dirname, "..", "src", "Cli.ts")

const run = (url: Redacted.Redacted<string>, ...args: Array<string>) =>
  Effect.callback<{ readonly code: number; readonly stdout: string; readonly stderr: string }>((resume) => {
    execFile(
      process.execPath,
      [cli, ...args],
      { env: { ...process.env, DATABASE_URL: Redacted.value(url) } },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1
        resume(Effect.succeed({ code, stdout, stderr }))
      }
    )
  })

layer(testLayer(), { excludeTestServices: true })("CLI", (it) => {
  it.effect("lists dead letters and replays them (tessera-dispatch dead-letters / replay / lag)", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const database = yield* TestDatabase
      yield* sql`INSERT INTO dispatch.subscriptions (event_type, consumer) VALUES ('order.placed', 'billing.cli')`
      yield* sql`
        WITH e AS (
          INSERT INTO dispatch.events (event_id, event_type, event_version, producer, organization_id, subject_type,
            subject_id, actor_type, actor_id, correlation_id, occurred_at, recorded_at, payload)
          VALUES ('019a8f3c-2a10-7cc1-9a55-3d2f7b0e4c99', 'order.placed', 2, 'shop', 'org', 'order', 'o1', 'system', 's', 'c',
            now(), now(), '{"orderId": "o1"}')
          RETURNING position
        )
        INSERT INTO dispatch.dead_letters (consumer, position, subject_key, reason, error, attempts)
        SELECT 'billing.cli', position, 'order:o1', 'Exhausted', 'card declined', 10 FROM e`

      const listed = yield* run(database.url, "dead-letters", "--consumer", "billing.cli", "--json")
      assert.strictEqual(listed.code, 0, listed.stderr)
      const letters = JSON.parse(listed.stdout)
      assert.strictEqual(letters.length, 1)
      assert.strictEqual(letters[0].eventId, "019a8f3c-2a10-7cc1-9a55-3d2f7b0e4c99")
      assert.strictEqual(letters[0].reason, "Exhausted")
      assert.strictEqual(letters[0].error, "card declined")

      const replayed = yield* run(database.url, "replay", "--consumer", "billing.cli")
      assert.strictEqual(replayed.code, 0, replayed.stderr)
      assert.include(replayed.stdout, "replayed 1 dead letter(s) of billing.cli")
      assert.strictEqual(yield* count("SELECT 1 FROM dispatch.dead_letters"), 0)
      assert.strictEqual(
        yield* count("SELECT 1 FROM dispatch.deliveries WHERE consumer = 'billing.cli' AND failures = 0"),
        1
      )

      const lag = yield* run(database.url, "lag", "--consumer", "billing.cli")
      assert.strictEqual(lag.code, 0, lag.stderr)
      assert.match(lag.stdout, /billing\.cli: 1 pending \(0 retrying\)/)

      const usage = yield* run(database.url, "replay")
      assert.strictEqual(usage.code, 2)
      assert.include(usage.stderr, "Missing required flag: --consumer")

      // --json prints only JSON on stdout (the embedded database's and the dispatcher's logs go to stderr).
      const lagJson = yield* run(database.url, "lag", "--json")
      assert.strictEqual(lagJson.code, 0, lagJson.stderr)
      const consumers: ReadonlyArray<{ consumer: string; pending: number }> = JSON.parse(lagJson.stdout)
      assert.deepStrictEqual(
        consumers.map((c) => [c.consumer, c.pending]),
        [["billing.cli", 1]]
      )

      // A consumer that does not exist is an error, not "0 dead letters".
      for (const args of [
        ["replay", "--consumer", "nobody"],
        ["dead-letters", "--consumer", "nobody", "--json"],
        ["discard", "--consumer", "nobody", "--position", "1", "--reason", "not needed"]
      ]) {
        const unknown = yield* run(database.url, ...args)
        assert.strictEqual(unknown.code, 1, args.join(" "))
        assert.strictEqual(unknown.stdout, "")
        assert.include(unknown.stderr, "no consumer named nobody")
      }
    })
  )

  it.effect(
    "--help and --version open no database; a bad flag is one line on stderr and exit 2",
    () =>
      Effect.gen(function* () {
        // Nothing listens there: any attempt to connect would fail.
        const nowhere = Redacted.make("postgres://nobody@127.0.0.1:9/none")
        const help = yield* run(nowhere, "--help")
        assert.strictEqual(help.code, 0, help.stderr)
        for (const command of ["lag", "dead-letters", "replay", "discard", "blocked"])
          assert.include(help.stdout, command)
        const subHelp = yield* run(nowhere, "dead-letters", "--help")
        assert.strictEqual(subHelp.code, 0)
        assert.include(subHelp.stdout, "--limit")
        const version = yield* run(nowhere, "--version")
        assert.strictEqual(version.code, 0)
        assert.match(version.stdout, /tessera-dispatch v\d+\.\d+\.\d+/)
        const bad = yield* run(nowhere, "dead-letters", "--limit", "abc")
        assert.strictEqual(bad.code, 2)
        assert.strictEqual(bad.stdout, "")
        assert.strictEqual(bad.stderr.trim().split("\n").length, 1)
        assert.include(bad.stderr, "--limit")
        const unknownFlag = yield* run(nowhere, "lag", "--frobnicate")
        assert.strictEqual(unknownFlag.code, 2)
        assert.include(unknownFlag.stderr, "--frobnicate")
      }),
    // Six Node processes: a bound for a loaded machine, not a timing assertion.
    180_000
  )
})
