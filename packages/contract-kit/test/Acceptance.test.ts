import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { assert, describe, it } from "@effect/vitest"
import * as Acceptance from "../src/Acceptance.ts"
import { CompleteTask, catalog } from "./fixtures/SampleContracts.ts"

describe("Acceptance coverage", () => {
  it("every scenario of the sample catalog is named by a test of the serving package", () => {
    const serverTests = fileURLToPath(new URL("../../contract-server/test", import.meta.url))
    assert.deepStrictEqual(Acceptance.uncovered(catalog, serverTests), [])
  })

  it("a key in a comment or in a test's body does not count; one in a title does", () => {
    const folder = Fs.mkdtempSync(Path.join(Os.tmpdir(), "acceptance-"))
    const key = ["complete", "task", "happy", "path"].join("-")
    const other = ["complete", "task", "twice"].join("-")
    Fs.writeFileSync(
      Path.join(folder, "Tasks.test.ts"),
      [`// ${key}`, `/* ${other} */`, `it.effect("something else", () => { const k = "${other}" })`].join("\n")
    )
    assert.strictEqual(Acceptance.uncovered([CompleteTask], folder).length, 2)
    Fs.writeFileSync(Path.join(folder, "Tasks.test.ts"), `it.effect("${key}, ${other}: both", () => {})`)
    assert.deepStrictEqual(Acceptance.uncovered([CompleteTask], folder), [])
  })

  it("a scenario no test names is reported", () => {
    const folder = Fs.mkdtempSync(Path.join(Os.tmpdir(), "acceptance-"))
    // Spelled in pieces so this file does not itself name the scenario.
    const named = ["complete", "task", "happy", "path"].join("-")
    Fs.writeFileSync(Path.join(folder, "Tasks.test.ts"), `it("${named}", () => {})`)
    assert.deepStrictEqual(Acceptance.uncovered([CompleteTask], folder), [
      { contract: "sample.task.complete@1.0.0", scenario: "complete-task-twice" }
    ])
  })
})
