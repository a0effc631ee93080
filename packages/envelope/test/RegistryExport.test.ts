import * as Fs from "node:fs"
import * as Path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Result, Schema } from "effect"
import { define } from "../src/EventDefinition.ts"
import * as Registry from "../src/Registry.ts"
import * as RegistryExport from "../src/RegistryExport.ts"
import { NoteAddedV1, registry } from "./fixtures/SampleEvents.ts"

const fixture = (name: string) => Fs.readFileSync(Path.join(import.meta.dirname, "fixtures", name), "utf8")

describe("Registry export", () => {
  it("the committed JSON export is current (run `pnpm --filter @tessera/envelope generate`)", () => {
    assert.strictEqual(
      fixture("sample-registry.generated.json"),
      RegistryExport.fileContent(RegistryExport.toJson(registry))
    )
  })

  it("exports the seed's fields: producer, consumers, owning contract, versions with status, dates and cutover", () => {
    const json = JSON.parse(fixture("sample-registry.generated.json"))
    const v1 = json["note.added"].schema_versions[0]
    assert.strictEqual(json["note.added"].producer, "notes")
    assert.deepStrictEqual(json["note.added"].consumers, ["search", "billing"])
    assert.strictEqual(json["note.added"].owning_contract, "notes.note.add")
    assert.strictEqual(v1.status, "deprecated")
    assert.strictEqual(v1.deprecated_at, "2026-05-12")
    assert.strictEqual(v1.cutover_at, "2026-05-26")
    assert.strictEqual(json["note.added"].schema_versions[1].upcast_from, 1)
    assert.strictEqual(json["note.added"].schema_versions[1].payload_schema.additionalProperties, false)
  })

  it("a published version's schema never changes: the committed snapshot matches every registered version", () => {
    const committed: RegistryExport.Snapshot = JSON.parse(fixture("sample-schemas.generated.json"))
    const diff = RegistryExport.diffSnapshot(committed, RegistryExport.snapshot(registry))
    assert.deepStrictEqual(diff, { changed: [], removed: [], added: [] })
  })

  it("the snapshot check catches a published version whose schema was edited in place", () => {
    const committed: RegistryExport.Snapshot = JSON.parse(fixture("sample-schemas.generated.json"))
    const Edited = define({
      type: NoteAddedV1.type,
      version: NoteAddedV1.version,
      producer: NoteAddedV1.producer,
      description: NoteAddedV1.description,
      payload: Schema.Struct({ noteId: Schema.String, body: Schema.String }),
      subject: (p) => ({ type: "note", id: p.noteId })
    })
    const edited = Registry.make({
      ...registry.events,
      "note.added": {
        ...(registry.events["note.added"] ?? { producer: "", consumers: [], owningContract: "", versions: [] }),
        versions: [
          Registry.version(Edited, { status: "active", registeredAt: "2026-05-02", notes: "" }),
          ...(registry.events["note.added"]?.versions.slice(1) ?? [])
        ]
      }
    })
    const updated = RegistryExport.updateSnapshot(committed, RegistryExport.snapshot(edited))
    assert.isTrue(Result.isFailure(updated))
    if (Result.isFailure(updated)) assert.deepStrictEqual(updated.failure.changed, ["note.added@1"])
    // The rest of the registry is untouched: only the edited version is reported.
    assert.deepStrictEqual(RegistryExport.diffSnapshot(committed, RegistryExport.snapshot(registry)).changed, [])
  })
})
