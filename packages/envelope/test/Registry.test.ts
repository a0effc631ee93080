import { assert, describe, it } from "@effect/vitest"
import { Effect, Result, Schema } from "effect"
import { define } from "../src/EventDefinition.ts"
import * as Registry from "../src/Registry.ts"
import { NoteAddedV1, NoteAddedV2, NoteArchivedV1, NoteArchivedV2, registry } from "./fixtures/SampleEvents.ts"

const at = (iso: string) => new Date(iso)
const reasonOf = (result: Result.Result<Registry.VersionEntry, { readonly reason: string }>) =>
  Result.isFailure(result) ? result.failure.reason : "ok"

describe("Registry", () => {
  it("the sample registry is consistent", () => {
    assert.deepStrictEqual(Registry.check(registry), [])
  })

  it("check reports a wrong producer, a version gap, a missing upcaster and a deprecation without a date", () => {
    const Stray = define({
      type: "note.added",
      version: 3,
      producer: "billing",
      payload: Schema.Struct({ noteId: Schema.String }),
      description: "wrong",
      subject: (p) => ({ type: "note", id: p.noteId })
    })
    const broken = Registry.make({
      "note.added": {
        producer: "notes",
        consumers: ["search", "search"],
        owningContract: "notes.note.add",
        versions: [
          Registry.version(NoteAddedV1, { status: "deprecated", registeredAt: "2026-05-02", notes: "" }),
          Registry.version(Stray, { status: "active", registeredAt: "2026-13-01", notes: "" })
        ]
      }
    })
    const problems = Registry.check(broken).join("\n")
    assert.include(problems, "duplicate consumers")
    assert.include(problems, "deprecated without deprecatedAt")
    assert.include(problems, "note.added@3: versions must be numbered 1, 2, … in order")
    assert.include(problems, "note.added@3: definition's producer billing is not the registered notes")
    assert.include(problems, "registeredAt 2026-13-01 is not YYYY-MM-DD")
    assert.include(problems, "note.added@3: a new version needs an upcaster from the previous one")
  })

  describe("lifecycle enforcement", () => {
    it("the registered producer may emit an active version", () => {
      assert.strictEqual(
        reasonOf(Registry.checkPublish(registry, NoteAddedV2, "notes", at("2027-01-01T00:00:00Z"))),
        "ok"
      )
    })

    it("another domain may not emit it (NotProducer)", () => {
      assert.strictEqual(
        reasonOf(Registry.checkPublish(registry, NoteAddedV2, "billing", at("2026-06-01T00:00:00Z"))),
        "NotProducer"
      )
    })

    it("a deprecated version may be emitted until its cutover (deprecated_at + 14 days), not from then on", () => {
      assert.strictEqual(
        Registry.cutoverDateOf(registry.events["note.added"]?.versions[0] ?? ({} as never)),
        "2026-05-26"
      )
      assert.strictEqual(
        reasonOf(Registry.checkPublish(registry, NoteAddedV1, "notes", at("2026-05-25T23:59:59.999Z"))),
        "ok"
      )
      assert.strictEqual(
        reasonOf(Registry.checkPublish(registry, NoteAddedV1, "notes", at("2026-05-26T00:00:00.000Z"))),
        "PastCutover"
      )
    })

    it("a retired version may not be emitted", () => {
      assert.strictEqual(
        reasonOf(Registry.checkPublish(registry, NoteArchivedV1, "notes", at("2026-04-02T00:00:00Z"))),
        "Retired"
      )
    })

    it("an unregistered type or version may not be emitted", () => {
      const Unknown = define({
        type: "note.pinned",
        version: 1,
        producer: "notes",
        payload: Schema.Struct({ noteId: Schema.String }),
        description: "not registered",
        subject: (p) => ({ type: "note", id: p.noteId })
      })
      assert.strictEqual(reasonOf(Registry.checkPublish(registry, Unknown, "notes", new Date())), "Unregistered")
      const V9 = { ...NoteAddedV2, version: 9 }
      assert.strictEqual(reasonOf(Registry.checkPublish(registry, V9, "notes", new Date())), "Unregistered")
    })
  })

  describe("upcasting", () => {
    it.effect("a consumer written for v2 receives an event stored as v1, upcast", () =>
      Effect.gen(function* () {
        const payload = yield* Registry.decodeAs(registry, NoteAddedV2, 1, { noteId: "n1", text: "hello brave world" })
        assert.deepStrictEqual(payload, { noteId: "n1", text: "hello brave world", tags: [], words: 3 })
        const archived = yield* Registry.decodeAs(registry, NoteArchivedV2, 1, { noteId: "n2" })
        assert.deepStrictEqual(archived, { noteId: "n2", reason: "user" })
      })
    )

    it.effect("a stored v2 reaches a v2 consumer unchanged", () =>
      Effect.gen(function* () {
        const stored = { noteId: "n1", text: "x", tags: ["a"], words: 1 }
        assert.deepStrictEqual(yield* Registry.decodeAs(registry, NoteAddedV2, 2, stored), stored)
      })
    )

    it.effect("a version newer than the consumer's, or unregistered, is an unknown version", () =>
      Effect.gen(function* () {
        const newer = yield* Effect.flip(Registry.decodeAs(registry, NoteAddedV1, 2, { noteId: "n", text: "" }))
        assert.strictEqual(newer.reason, "UnknownVersion")
        const missing = yield* Effect.flip(Registry.decodeAs(registry, NoteAddedV2, 0, { noteId: "n", text: "" }))
        assert.strictEqual(missing.reason, "UnknownVersion")
      })
    )

    it.effect("a stored payload that does not match its version's schema is invalid", () =>
      Effect.gen(function* () {
        const invalid = yield* Effect.flip(Registry.decodeAs(registry, NoteAddedV2, 1, { noteId: 42 }))
        assert.strictEqual(invalid.reason, "InvalidPayload")
      })
    )
  })
})
