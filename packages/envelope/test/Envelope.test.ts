import * as Fs from "node:fs"
import * as Path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import * as Envelope from "../src/Envelope.ts"

const valid: Envelope.Envelope = {
  event_id: "019a8f3c-2a10-7cc1-9a55-3d2f7b0e4c11",
  event_type: "note.added",
  event_version: 2,
  occurred_at: "2026-11-21T05:30:00.000Z",
  recorded_at: "2026-11-21T05:30:00.004Z",
  producer: "notes",
  organization_id: "org_1",
  subject: { type: "note", id: "n1" },
  actor: { type: "user", id: "u1" },
  correlation_id: "c1",
  causation_id: null,
  payload: { noteId: "n1", text: "hi", tags: [], words: 1 }
}

const decode = Schema.decodeUnknownExit(Envelope.EnvelopeV1)

describe("Envelope v1", () => {
  it("the committed JSON Schema file is current (run `pnpm --filter @tessera/envelope generate`)", () => {
    const file = Path.join(import.meta.dirname, "..", "schema", "envelope-v1.generated.json")
    assert.strictEqual(Fs.readFileSync(file, "utf8"), Envelope.jsonSchemaFile())
  })

  it("the JSON Schema requires every v1 field but traceparent, and keeps the formats", () => {
    const schema = JSON.parse(Envelope.jsonSchemaFile())
    assert.deepStrictEqual([...schema.required].sort(), [
      "actor",
      "causation_id",
      "correlation_id",
      "event_id",
      "event_type",
      "event_version",
      "occurred_at",
      "organization_id",
      "payload",
      "producer",
      "recorded_at",
      "subject"
    ])
    assert.match(JSON.stringify(schema.properties.event_id), /7\[0-9a-fA-F\]\{3\}/)
  })

  it.effect("accepts a well-formed envelope, with or without traceparent", () =>
    Effect.sync(() => {
      assert.strictEqual(decode(valid)._tag, "Success")
      const traced = { ...valid, traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" }
      assert.strictEqual(decode(traced)._tag, "Success")
    })
  )

  it.effect("rejects a non-v7 event id, a bad timestamp, an unknown actor type and a bad traceparent", () =>
    Effect.sync(() => {
      assert.strictEqual(decode({ ...valid, event_id: "1b4e28ba-2fa1-41d2-883f-0016d3cca427" })._tag, "Failure")
      assert.strictEqual(decode({ ...valid, occurred_at: "yesterday" })._tag, "Failure")
      assert.strictEqual(decode({ ...valid, actor: { type: "robot", id: "r" } })._tag, "Failure")
      assert.strictEqual(decode({ ...valid, traceparent: "nope" })._tag, "Failure")
      assert.strictEqual(decode({ ...valid, event_version: 0 })._tag, "Failure")
    })
  )
})
