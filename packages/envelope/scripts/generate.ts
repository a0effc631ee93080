/**
 * Writes the envelope's generated files: the envelope v1 JSON Schema, and the sample registry's
 * export and schema snapshot used by the tests. Run `pnpm --filter @tessera/envelope generate`.
 * The snapshot only grows: a changed published version fails here as it fails the test.
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { Result } from "effect"
import * as Envelope from "../src/Envelope.ts"
import * as RegistryExport from "../src/RegistryExport.ts"
import { registry } from "../test/fixtures/SampleEvents.ts"

const root = Path.resolve(import.meta.dirname, "..")
const write = (relative: string, content: string) => {
  const file = Path.join(root, relative)
  Fs.mkdirSync(Path.dirname(file), { recursive: true })
  const before = Fs.existsSync(file) ? Fs.readFileSync(file, "utf8") : undefined
  if (before !== content) {
    Fs.writeFileSync(file, content)
    console.log(`wrote ${relative}`)
  }
}

write("schema/envelope-v1.generated.json", Envelope.jsonSchemaFile())
write("test/fixtures/sample-registry.generated.json", RegistryExport.fileContent(RegistryExport.toJson(registry)))

const snapshotFile = Path.join(root, "test/fixtures/sample-schemas.generated.json")
const committed: RegistryExport.Snapshot = Fs.existsSync(snapshotFile)
  ? JSON.parse(Fs.readFileSync(snapshotFile, "utf8"))
  : {}
const updated = RegistryExport.updateSnapshot(committed, RegistryExport.snapshot(registry))
if (Result.isFailure(updated)) {
  console.error(
    `Published event versions may not change: changed ${updated.failure.changed.join(", ") || "none"}, removed ${updated.failure.removed.join(", ") || "none"}. Add a new version with an upcaster instead.`
  )
  process.exit(1)
}
write("test/fixtures/sample-schemas.generated.json", RegistryExport.fileContent(updated.success))
