/**
 * Every integration-hub operation through real HTTP and the derived client, on real Postgres
 * with the dispatcher's outbox and the hub's own workers, against a fake remote REST API on
 * loopback: one test per acceptance scenario (named by its key), the events each call stores,
 * and the tenancy rules.
 */
import { assert, layer } from "@effect/vitest"
import type { Principal } from "@tessera/contract-kit/Contract"
import type { ConnectionId, SyncConfigId, SyncRunId } from "@tessera/contracts/integration-hub/Shared"
import { Effect, Redacted } from "effect"
import { HttpClient, HttpClientRequest } from "effect/http"
import { SqlClient } from "effect/sql"
import { closedPort, FakeRemote } from "./support/FakeRemote.ts"
import {
  auth,
  clientAs,
  eventually,
  freshOrg,
  IntegrationTestLayer,
  readFile,
  storedEvents,
  writeFile
} from "./support/IntegrationTestLayer.ts"

const SECRET = "tok-3f9a1c7e-very-secret"

// One page per step (read when the layer is built, after this module runs): a run of several
// pages then stays active across several handled events, so `trigger-while-running` meets it
// active. With the default budget a small run ends within its first step, and a trigger sent
// meanwhile waits on that step's transaction and finds the run already finished.
process.env.TESSERA_INTEGRATION_STEP_BUDGET = "0 millis"

/** A raw POST, for what the derived client would refuse to send. */
const rawPost = (path: string, body: unknown, principal: Principal) =>
  Effect.gen(function* () {
    const http = yield* HttpClient.HttpClient
    const response = yield* http.execute(
      HttpClientRequest.post(path).pipe(
        HttpClientRequest.bodyJsonUnsafe(body),
        HttpClientRequest.bearerToken(yield* auth.mint(principal))
      )
    )
    return { status: response.status, body: JSON.stringify(yield* response.json) }
  })

const restConnection = (user: Principal, name = "Partner API", token: string | undefined = SECRET) =>
  Effect.gen(function* () {
    const remote = yield* FakeRemote
    const client = yield* clientAs(user)
    return yield* client.integration["integration.connection.create"]({
      payload: {
        name,
        config: {
          kind: "rest",
          baseUrl: remote.url,
          healthPath: "/health",
          read: { path: "/contacts", pagination: "cursor" },
          write: { path: "/contacts", mode: "each" }
        },
        ...(token === undefined ? {} : { credentials: { type: "bearer" as const, token: Redacted.make(token) } })
      }
    })
  })

const fileConnection = (user: Principal, kind: "csv" | "ndjson", path: string) =>
  Effect.flatMap(clientAs(user), (client) =>
    client.integration["integration.connection.create"]({ payload: { name: path, config: { kind, path } } })
  )

const syncConfig = (
  user: Principal,
  sourceConnectionId: ConnectionId,
  targetConnectionId: ConnectionId,
  extra: { readonly pageSize?: number } = {}
) =>
  Effect.flatMap(clientAs(user), (client) =>
    client.integration["integration.syncConfig.create"]({
      payload: { name: "Contacts Sync", sourceConnectionId, targetConnectionId, ...extra }
    })
  )

const waitForRun = (user: Principal, runId: SyncRunId) =>
  Effect.flatMap(clientAs(user), (client) =>
    eventually(
      Effect.map(client.integration["integration.syncRun.get"]({ payload: { runId } }), (run) =>
        run.status === "queued" || run.status === "running" ? undefined : run
      )
    )
  )

const trigger = (user: Principal, syncConfigId: SyncConfigId) =>
  Effect.flatMap(clientAs(user), (client) =>
    client.integration["integration.sync.trigger"]({ payload: { syncConfigId } })
  )

layer(IntegrationTestLayer, { excludeTestServices: true })("integration hub over HTTP", (it) => {
  it.effect("create-sync-happy-path: the seed example answers active, stores the event and an audit row", () =>
    Effect.gen(function* () {
      const { organizationId, user } = freshOrg()
      const source = yield* restConnection(user, "Source")
      const target = yield* restConnection(user, "Target")
      const client = yield* clientAs(user)
      const config = yield* client.integration["integration.syncConfig.create"]({
        payload: { name: "Contacts Sync", sourceConnectionId: source.id, targetConnectionId: target.id }
      })
      assert.strictEqual(config.status, "active")
      assert.strictEqual(config.name, "Contacts Sync")
      assert.match(config.id, /^sync_/)
      const events = yield* storedEvents(organizationId)
      const created = events.filter((event) => event.event_type === "integration.syncConfig.created")
      assert.strictEqual(created.length, 1)
      assert.strictEqual(created[0]?.payload.syncConfigId, config.id)
      const sql = yield* SqlClient.SqlClient
      const audit = yield* sql<{ action: string }>`
        SELECT action FROM contract_kit.audit_log WHERE organization_id = ${organizationId} AND action = 'integration.syncConfig.create'`
      assert.strictEqual(audit.length, 1)
    })
  )

  it.effect("create-sync-same-source-and-target: 422", () =>
    Effect.gen(function* () {
      const { user } = freshOrg()
      const source = yield* restConnection(user)
      const answer = yield* rawPost(
        "/integration/syncConfig/create",
        { name: "Loop", sourceConnectionId: source.id, targetConnectionId: source.id },
        user
      )
      assert.strictEqual(answer.status, 422)
      assert.include(answer.body, "SAME_SOURCE_AND_TARGET")
    })
  )

  it.effect("create-sync-other-organization-connection: 404, and nothing written", () =>
    Effect.gen(function* () {
      const a = freshOrg()
      const b = freshOrg()
      const theirs = yield* restConnection(b.user)
      const mine = yield* restConnection(a.user)
      const answer = yield* rawPost(
        "/integration/syncConfig/create",
        { name: "Steal", sourceConnectionId: theirs.id, targetConnectionId: mine.id },
        a.user
      )
      assert.strictEqual(answer.status, 404)
      assert.include(answer.body, "CONNECTION_NOT_FOUND")
      const sql = yield* SqlClient.SqlClient
      const rows = yield* sql`SELECT 1 FROM integration.sync_configs WHERE organization_id = ${a.organizationId}`
      assert.strictEqual(rows.length, 0)
    })
  )

  it.effect("create-sync-invalid-schedule: 400 naming the schedule", () =>
    Effect.gen(function* () {
      const { user } = freshOrg()
      const source = yield* restConnection(user, "S")
      const target = yield* restConnection(user, "T")
      const answer = yield* rawPost(
        "/integration/syncConfig/create",
        { name: "Bad", sourceConnectionId: source.id, targetConnectionId: target.id, schedule: "every day" },
        user
      )
      assert.strictEqual(answer.status, 400)
      assert.include(answer.body, "schedule")
    })
  )

  it.effect("create-connection-happy-path: credentials stored, never answered", () =>
    Effect.gen(function* () {
      const { user } = freshOrg()
      const connection = yield* restConnection(user)
      assert.strictEqual(connection.hasCredentials, true)
      assert.strictEqual(connection.status, "active")
      const answer = yield* rawPost("/integration/connection/get", { connectionId: connection.id }, user)
      assert.strictEqual(answer.status, 200)
      assert.notInclude(answer.body, SECRET)
      assert.notInclude(answer.body, 'credentials":{')
    })
  )

  it.effect(
    "create-connection-credentials-stay-secret: encrypted at rest, absent from answers, events and audit rows",
    () =>
      Effect.gen(function* () {
        const { organizationId, user } = freshOrg()
        const http = yield* HttpClient.HttpClient
        const token = yield* auth.mint(user)
        const remote = yield* FakeRemote
        const created = yield* http.execute(
          HttpClientRequest.post("/integration/connection/create").pipe(
            HttpClientRequest.bodyJsonUnsafe({
              name: "Secret API",
              config: { kind: "rest", baseUrl: remote.url, read: { path: "/contacts", pagination: "cursor" } },
              credentials: { type: "basic", username: "alice-user", password: SECRET }
            }),
            HttpClientRequest.bearerToken(token)
          )
        )
        const createdBody = JSON.stringify(yield* created.json)
        assert.strictEqual(created.status, 200)
        // A malformed credential must not be echoed in the 400 either.
        const bad = yield* rawPost(
          "/integration/connection/create",
          {
            name: "x",
            config: { kind: "rest", baseUrl: remote.url },
            credentials: { type: "bearer", token: SECRET, extra: 1 }
          },
          user
        )
        assert.strictEqual(bad.status, 400)
        // Nor a credential the schema refuses (too long, wrong type).
        const tooLong = yield* rawPost(
          "/integration/connection/create",
          {
            name: "x",
            config: { kind: "rest", baseUrl: remote.url },
            credentials: { type: "apiKey", key: SECRET.repeat(300) }
          },
          user
        )
        assert.strictEqual(tooLong.status, 400)
        const wrongType = yield* rawPost(
          "/integration/connection/create",
          { name: "x", config: { kind: "rest", baseUrl: remote.url }, credentials: { type: "token", token: SECRET } },
          user
        )
        assert.strictEqual(wrongType.status, 400)
        const sql = yield* SqlClient.SqlClient
        const stored = yield* sql<{ credentials: string }>`
        SELECT credentials FROM integration.connections WHERE organization_id = ${organizationId}`
        const audit = yield* sql<{ row: string }>`
        SELECT row_to_json(a)::text AS row FROM contract_kit.audit_log a WHERE organization_id = ${organizationId}`
        const events = yield* storedEvents(organizationId)
        for (const text of [
          createdBody,
          bad.body,
          JSON.stringify(events),
          ...audit.map((a) => a.row),
          ...stored.map((s) => s.credentials)
        ]) {
          assert.notInclude(text, SECRET)
          assert.notInclude(text, "alice-user")
        }
        assert.match(stored[0]?.credentials ?? "", /^v1:/)
        assert.isAbove(audit.length, 0)
      })
  )

  it.effect("get-connection-other-organization: 404", () =>
    Effect.gen(function* () {
      const a = freshOrg()
      const b = freshOrg()
      const theirs = yield* restConnection(b.user)
      const answer = yield* rawPost("/integration/connection/get", { connectionId: theirs.id }, a.user)
      assert.strictEqual(answer.status, 404)
      assert.include(answer.body, "CONNECTION_NOT_FOUND")
      const test = yield* rawPost("/integration/connection/test", { connectionId: theirs.id }, a.user)
      assert.strictEqual(test.status, 404)
    })
  )

  it.effect("list-connections-own-organization: only mine, paged", () =>
    Effect.gen(function* () {
      const a = freshOrg()
      const b = freshOrg()
      yield* restConnection(a.user, "A1")
      yield* restConnection(a.user, "A2")
      yield* restConnection(a.user, "A3")
      yield* restConnection(b.user, "B1")
      const client = yield* clientAs(a.user)
      const first = yield* client.integration["integration.connection.list"]({ payload: { limit: 2 } })
      assert.deepStrictEqual(
        first.items.map((c) => c.name),
        ["A3", "A2"]
      )
      assert.isNotNull(first.nextCursor)
      const second = yield* client.integration["integration.connection.list"]({
        payload: { limit: 2, cursor: first.nextCursor ?? "" }
      })
      assert.deepStrictEqual(
        second.items.map((c) => c.name),
        ["A1"]
      )
      assert.isNull(second.nextCursor)
    })
  )

  it.effect("test-connection-live: a running API is ok, a closed port is not (summarized, no credential)", () =>
    Effect.gen(function* () {
      const { user } = freshOrg()
      const remote = yield* FakeRemote
      remote.token = SECRET
      const good = yield* restConnection(user)
      const client = yield* clientAs(user)
      const ok = yield* client.integration["integration.connection.test"]({ payload: { connectionId: good.id } })
      assert.isTrue(ok.ok, ok.message)
      const dead = yield* client.integration["integration.connection.create"]({
        payload: {
          name: "Dead",
          config: { kind: "rest", baseUrl: `http://127.0.0.1:${yield* closedPort}`, healthPath: "/health" },
          credentials: { type: "bearer", token: Redacted.make(SECRET) }
        }
      })
      const failed = yield* client.integration["integration.connection.test"]({ payload: { connectionId: dead.id } })
      assert.isFalse(failed.ok)
      assert.include(failed.message, "GET /health failed")
      assert.notInclude(failed.message, SECRET)
      remote.token = undefined
    })
  )

  it.effect("rotate-credentials-happy-path: the remote sees the new token", () =>
    Effect.gen(function* () {
      const { user } = freshOrg()
      const remote = yield* FakeRemote
      const connection = yield* restConnection(user, "Rotating", "old-token")
      remote.token = "new-token"
      const client = yield* clientAs(user)
      const before = yield* client.integration["integration.connection.test"]({
        payload: { connectionId: connection.id }
      })
      assert.isFalse(before.ok)
      assert.include(before.message, "401")
      const rotated = yield* client.integration["integration.connection.rotateCredentials"]({
        payload: { connectionId: connection.id, credentials: { type: "bearer", token: Redacted.make("new-token") } }
      })
      assert.isTrue(rotated.hasCredentials)
      const after = yield* client.integration["integration.connection.test"]({
        payload: { connectionId: connection.id }
      })
      assert.isTrue(after.ok, after.message)
      remote.token = undefined
    })
  )

  it.effect("disable-connection-blocks-runs: 409 CONNECTION_DISABLED", () =>
    Effect.gen(function* () {
      const { user } = freshOrg()
      const source = yield* restConnection(user, "S")
      const target = yield* restConnection(user, "T")
      const config = yield* syncConfig(user, source.id, target.id)
      const client = yield* clientAs(user)
      const disabled = yield* client.integration["integration.connection.disable"]({
        payload: { connectionId: target.id }
      })
      assert.strictEqual(disabled.status, "disabled")
      const answer = yield* rawPost("/integration/sync/trigger", { syncConfigId: config.id }, user)
      assert.strictEqual(answer.status, 409)
      assert.include(answer.body, "CONNECTION_DISABLED")
    })
  )

  it.effect("add-mapping-template, list-mappings-in-order, remove-mapping", () =>
    Effect.gen(function* () {
      const { user } = freshOrg()
      const source = yield* restConnection(user, "S")
      const target = yield* restConnection(user, "T")
      const config = yield* syncConfig(user, source.id, target.id)
      const client = yield* clientAs(user)
      const add = (
        targetField: string,
        rule: Parameters<(typeof client.integration)["integration.fieldMapping.add"]>[0]["payload"]["rule"]
      ) =>
        client.integration["integration.fieldMapping.add"]({ payload: { syncConfigId: config.id, targetField, rule } })
      const fullName = yield* add("fullName", { type: "template", template: "{firstName} {lastName}" })
      yield* add("email", { type: "direct", sourceField: "email", transforms: [{ op: "trim" }, { op: "lower" }] })
      yield* add("source", { type: "constant", value: "partner" })
      const listed = yield* client.integration["integration.fieldMapping.list"]({
        payload: { syncConfigId: config.id }
      })
      assert.deepStrictEqual(
        listed.items.map((m) => m.targetField),
        ["fullName", "email", "source"]
      )
      yield* client.integration["integration.fieldMapping.remove"]({ payload: { mappingId: fullName.id } })
      const after = yield* client.integration["integration.fieldMapping.list"]({ payload: { syncConfigId: config.id } })
      assert.deepStrictEqual(
        after.items.map((m) => m.targetField),
        ["email", "source"]
      )
      const taken = yield* rawPost(
        "/integration/fieldMapping/add",
        { syncConfigId: config.id, targetField: "email", rule: { type: "constant", value: 1 } },
        user
      )
      assert.strictEqual(taken.status, 409)
    })
  )

  it.effect("add-mapping-invalid: an unknown transform is 400, a malformed template 422", () =>
    Effect.gen(function* () {
      const { user } = freshOrg()
      const source = yield* restConnection(user, "S")
      const target = yield* restConnection(user, "T")
      const config = yield* syncConfig(user, source.id, target.id)
      const unknown = yield* rawPost(
        "/integration/fieldMapping/add",
        {
          syncConfigId: config.id,
          targetField: "x",
          rule: { type: "direct", sourceField: "a", transforms: [{ op: "reverse" }] }
        },
        user
      )
      assert.strictEqual(unknown.status, 400)
      const template = yield* rawPost(
        "/integration/fieldMapping/add",
        { syncConfigId: config.id, targetField: "x", rule: { type: "template", template: "{firstName" } },
        user
      )
      assert.strictEqual(template.status, 422)
      assert.include(template.body, "INVALID_MAPPING")
    })
  )

  it.effect(
    "get-sync-config-other-organization, list-sync-configs-by-status, pause-and-resume, resume-paused-sync",
    () =>
      Effect.gen(function* () {
        const a = freshOrg()
        const b = freshOrg()
        const s = yield* restConnection(a.user, "S")
        const t = yield* restConnection(a.user, "T")
        const one = yield* syncConfig(a.user, s.id, t.id)
        const two = yield* syncConfig(a.user, s.id, t.id)
        const other = yield* rawPost("/integration/syncConfig/get", { syncConfigId: one.id }, b.user)
        assert.strictEqual(other.status, 404)
        const client = yield* clientAs(a.user)
        const paused = yield* client.integration["integration.syncConfig.pause"]({ payload: { syncConfigId: two.id } })
        assert.strictEqual(paused.status, "paused")
        const refused = yield* rawPost("/integration/sync/trigger", { syncConfigId: two.id }, a.user)
        assert.strictEqual(refused.status, 409)
        assert.include(refused.body, "SYNC_PAUSED")
        const list = yield* client.integration["integration.syncConfig.list"]({ payload: { status: "paused" } })
        assert.deepStrictEqual(
          list.items.map((c) => c.id),
          [two.id]
        )
        const resumed = yield* client.integration["integration.syncConfig.resume"]({
          payload: { syncConfigId: two.id }
        })
        assert.strictEqual(resumed.status, "active")
        const run = yield* trigger(a.user, two.id)
        assert.strictEqual(run.status, "queued")
        yield* waitForRun(a.user, run.id)
      })
  )

  it.effect("preview-maps-without-writing: three records mapped as a run would write them", () =>
    Effect.gen(function* () {
      const { user } = freshOrg()
      const remote = yield* FakeRemote
      writeFile(
        "preview.ndjson",
        [
          '{"id":1,"first":" Ada ","last":"Lovelace"}',
          '{"id":2,"first":"Alan","last":"Turing"}',
          "{bad",
          '{"id":4,"first":"Grace","last":"Hopper"}'
        ].join("\n")
      )
      const source = yield* fileConnection(user, "ndjson", "preview.ndjson")
      const target = yield* restConnection(user, "T", undefined)
      const config = yield* syncConfig(user, source.id, target.id)
      const client = yield* clientAs(user)
      yield* client.integration["integration.fieldMapping.add"]({
        payload: {
          syncConfigId: config.id,
          targetField: "name",
          rule: { type: "template", template: "{first} {last}" }
        }
      })
      yield* client.integration["integration.fieldMapping.add"]({
        payload: {
          syncConfigId: config.id,
          targetField: "first",
          rule: { type: "direct", sourceField: "first", transforms: [{ op: "trim" }, { op: "upper" }] }
        }
      })
      const writesBefore = remote.writes.size
      const preview = yield* client.integration["integration.syncConfig.preview"]({
        payload: { syncConfigId: config.id, limit: 3 }
      })
      assert.strictEqual(preview.records.length, 3)
      assert.deepStrictEqual(preview.records[0]?.mapped, { name: " Ada  Lovelace", first: "ADA" })
      assert.strictEqual(preview.records[0]?.externalId, "1")
      assert.include(preview.records[2]?.error ?? "", "line 3")
      assert.strictEqual(remote.writes.size, writesBefore)
    })
  )

  it.effect(
    "trigger-answers-queued, trigger-while-running: file → HTTP end to end, then a re-run skips everything",
    () =>
      Effect.gen(function* () {
        const { organizationId, user } = freshOrg()
        const remote = yield* FakeRemote
        const lines = Array.from({ length: 250 }, (_, i) =>
          JSON.stringify({ id: `f-${i}`, first: `First${i}`, last: `Last${i}`, email: ` USER${i}@EXAMPLE.COM ` })
        )
        writeFile("people.ndjson", `${lines.join("\n")}\n`)
        const source = yield* fileConnection(user, "ndjson", "people.ndjson")
        const target = yield* restConnection(user, "Target", undefined)
        const config = yield* syncConfig(user, source.id, target.id, { pageSize: 100 })
        const client = yield* clientAs(user)
        yield* client.integration["integration.fieldMapping.add"]({
          payload: {
            syncConfigId: config.id,
            targetField: "name",
            rule: { type: "template", template: "{first} {last}" }
          }
        })
        yield* client.integration["integration.fieldMapping.add"]({
          payload: {
            syncConfigId: config.id,
            targetField: "email",
            rule: { type: "direct", sourceField: "email", transforms: [{ op: "trim" }, { op: "lower" }] }
          }
        })
        remote.throttle = 2
        const run = yield* trigger(user, config.id)
        assert.strictEqual(run.status, "queued")
        assert.strictEqual(run.processed, 0)
        const again = yield* rawPost("/integration/sync/trigger", { syncConfigId: config.id }, user)
        assert.strictEqual(again.status, 409)
        assert.include(again.body, "SYNC_ALREADY_RUNNING")
        const done = yield* waitForRun(user, run.id)
        assert.strictEqual(done.status, "succeeded", JSON.stringify(done))
        assert.strictEqual(done.created, 250)
        assert.strictEqual(done.currentPage, 3)
        assert.deepStrictEqual(remote.records.get("f-7"), {
          id: "f-7",
          name: "First7 Last7",
          email: "user7@example.com"
        })
        const rerun = yield* waitForRun(user, (yield* trigger(user, config.id)).id)
        assert.strictEqual(rerun.status, "succeeded")
        assert.strictEqual(rerun.skipped, 250)
        assert.strictEqual(rerun.created + rerun.updated, 0)
        const types = (yield* storedEvents(organizationId)).map((e) => e.event_type)
        assert.strictEqual(types.filter((t) => t === "integration.sync.started").length, 2)
        assert.strictEqual(types.filter((t) => t === "integration.sync.completed").length, 2)
      })
  )

  it.effect("run-partially-failed: a malformed CSV line fails alone; CSV → CSV file writes", () =>
    Effect.gen(function* () {
      const { user } = freshOrg()
      writeFile("in.csv", 'id,name,age\n1,"Lovelace, Ada",36\n2,"Turing\n3,Hopper,85\n4,Knuth\n')
      const source = yield* fileConnection(user, "csv", "in.csv")
      const target = yield* fileConnection(user, "csv", "out.csv")
      const config = yield* syncConfig(user, source.id, target.id)
      const run = yield* waitForRun(user, (yield* trigger(user, config.id)).id)
      assert.strictEqual(run.status, "partially_failed")
      assert.strictEqual(run.created, 2)
      assert.strictEqual(run.failed, 2)
      assert.deepStrictEqual(
        run.failures.map((f) => f.message),
        ["line 3: unbalanced quotes", "line 5: 2 fields where the header has 3"]
      )
      assert.strictEqual(readFile("out.csv"), 'id,name,age\n1,"Lovelace, Ada",36\n3,Hopper,85\n')
    })
  )

  it.effect("an unreachable remote fails the run with its error summarized", () =>
    Effect.gen(function* () {
      const { organizationId, user } = freshOrg()
      writeFile("one.ndjson", '{"id":1}\n')
      const source = yield* fileConnection(user, "ndjson", "one.ndjson")
      const client = yield* clientAs(user)
      const dead = yield* client.integration["integration.connection.create"]({
        payload: {
          name: "Dead",
          config: {
            kind: "rest",
            baseUrl: `http://127.0.0.1:${yield* closedPort}`,
            write: { path: "/contacts", mode: "batch" }
          },
          credentials: { type: "apiKey", key: Redacted.make(SECRET) }
        }
      })
      const config = yield* syncConfig(user, source.id, dead.id)
      const run = yield* waitForRun(user, (yield* trigger(user, config.id)).id)
      assert.strictEqual(run.status, "failed")
      assert.include(run.error ?? "", "POST /contacts failed")
      assert.notInclude(run.error ?? "", SECRET)
      const failed = (yield* storedEvents(organizationId)).filter((e) => e.event_type === "integration.sync.failed")
      assert.strictEqual(failed.length, 1)
      assert.notInclude(JSON.stringify(failed), SECRET)
    })
  )

  it.effect("a batch the target refuses keeps no checksum: the next run writes those records again", () =>
    Effect.gen(function* () {
      const { user } = freshOrg()
      const remote = yield* FakeRemote
      writeFile(
        "batch.ndjson",
        '{"id":"b-1","first":"Ada"}\n{"id":"b-2","first":"Grace"}\n{"id":"b-3","first":"Alan"}\n'
      )
      const source = yield* fileConnection(user, "ndjson", "batch.ndjson")
      const client = yield* clientAs(user)
      const target = yield* client.integration["integration.connection.create"]({
        payload: {
          name: "Batch target",
          config: { kind: "rest", baseUrl: remote.url, write: { path: "/contacts", mode: "batch" } },
          credentials: { type: "bearer", token: Redacted.make(SECRET) }
        }
      })
      const config = yield* syncConfig(user, source.id, target.id, { pageSize: 2 })
      // The checksums of a batch are saved while the target writes it; a refused batch rolls them back.
      remote.token = "another-token"
      const refused = yield* waitForRun(user, (yield* trigger(user, config.id)).id)
      assert.strictEqual(refused.status, "failed")
      assert.include(refused.error ?? "", "POST /contacts answered 401")
      assert.strictEqual(remote.records.has("b-1"), false)
      remote.token = SECRET
      const run = yield* waitForRun(user, (yield* trigger(user, config.id)).id)
      assert.strictEqual(run.status, "succeeded", JSON.stringify(run))
      assert.strictEqual(run.created, 3)
      assert.strictEqual(run.skipped, 0)
      assert.deepStrictEqual(remote.records.get("b-2"), { id: "b-2", first: "Grace" })
      remote.token = undefined
    })
  )

  it.effect("a changed record is updated (its checksum replaced), the others skipped, then all skipped", () =>
    Effect.gen(function* () {
      const { user } = freshOrg()
      const remote = yield* FakeRemote
      const people = (third: string) =>
        writeFile(
          "changes.ndjson",
          `{"id":"c-1","first":"Ada"}\n{"id":"c-2","first":"Grace"}\n{"id":"c-3","first":"${third}"}\n`
        )
      people("Alan")
      const source = yield* fileConnection(user, "ndjson", "changes.ndjson")
      const client = yield* clientAs(user)
      const target = yield* client.integration["integration.connection.create"]({
        payload: {
          name: "Batch target",
          config: { kind: "rest", baseUrl: remote.url, write: { path: "/contacts", mode: "batch" } }
        }
      })
      const config = yield* syncConfig(user, source.id, target.id, { pageSize: 2 })
      const first = yield* waitForRun(user, (yield* trigger(user, config.id)).id)
      assert.deepStrictEqual([first.status, first.created, first.updated, first.skipped], ["succeeded", 3, 0, 0])
      people("Alan Turing")
      const second = yield* waitForRun(user, (yield* trigger(user, config.id)).id)
      assert.deepStrictEqual([second.status, second.created, second.updated, second.skipped], ["succeeded", 0, 1, 2])
      assert.deepStrictEqual(remote.records.get("c-3"), { id: "c-3", first: "Alan Turing" })
      const third = yield* waitForRun(user, (yield* trigger(user, config.id)).id)
      assert.deepStrictEqual([third.status, third.created, third.updated, third.skipped], ["succeeded", 0, 0, 3])
    })
  )

  it.effect("list-runs-of-config, cancel-queued-run", () =>
    Effect.gen(function* () {
      const { user } = freshOrg()
      writeFile("two.ndjson", '{"id":1}\n{"id":2}\n')
      const source = yield* fileConnection(user, "ndjson", "two.ndjson")
      const target = yield* fileConnection(user, "ndjson", "two-out.ndjson")
      const one = yield* syncConfig(user, source.id, target.id)
      const two = yield* syncConfig(user, source.id, target.id)
      const first = yield* waitForRun(user, (yield* trigger(user, one.id)).id)
      yield* waitForRun(user, (yield* trigger(user, two.id)).id)
      const client = yield* clientAs(user)
      const listed = yield* client.integration["integration.syncRun.list"]({ payload: { syncConfigId: one.id } })
      assert.deepStrictEqual(
        listed.items.map((r) => r.id),
        [first.id]
      )
      const queued = yield* trigger(user, one.id)
      const cancelled = yield* Effect.result(
        client.integration["integration.syncRun.cancel"]({ payload: { runId: queued.id } })
      )
      // The workers may have finished the two-record run before the cancel arrived: then 409 RUN_FINISHED.
      if (cancelled._tag === "Success") {
        assert.strictEqual(cancelled.success.status, "cancelled")
        const after = yield* waitForRun(user, queued.id)
        assert.strictEqual(after.status, "cancelled")
      } else {
        assert.strictEqual(cancelled.failure._tag, "RunFinished")
      }
    })
  )
})
