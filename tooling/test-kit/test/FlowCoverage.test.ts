import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import * as FlowCoverage from "../src/FlowCoverage.ts"

describe("FlowCoverage", () => {
  it("counts a flow covered only by a title naming it as `flow <key>:`", () => {
    const folder = Fs.mkdtempSync(Path.join(Os.tmpdir(), "flows-"))
    Fs.writeFileSync(
      Path.join(folder, "A.test.ts"),
      [
        `it.effect("flow a.one-more: …", () => x)`,
        `// it.effect("flow a.commented: …")`,
        `describe("flow a.suite: the whole suite", () => {})`,
        `const title = "flow a.not-a-title: …"`
      ].join("\n")
    )
    const keys = ["a.one", "a.one-more", "a.commented", "a.suite", "a.not-a-title"].map((key) => ({ key }))
    assert.deepStrictEqual(FlowCoverage.uncovered(keys, folder), ["a.one", "a.commented", "a.not-a-title"])
    assert.deepStrictEqual(FlowCoverage.undeclared([{ key: "a.suite" }], folder), ["a.one-more"])
    Fs.rmSync(folder, { recursive: true })
  })
})
