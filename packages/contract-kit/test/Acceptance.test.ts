import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { assert, describe, it } from "@effect/vitest"
import * as Acceptance from "../src/Acceptance.ts"
import { CompleteTask, catalog } from "./fixtures/SampleContracts.ts"

describe("Acceptance coverage", () => {
  it("every scenario of the sample catalog is named by a test", () => {
    assert.deepStrictEqual(Acceptance.uncovered(catalog, fileURLToPath(new URL(".", import.meta.url))), [])
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
