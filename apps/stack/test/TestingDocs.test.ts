/**
 * docs/testing.md shows the CRM-first-win test whole; this checks it is the very file the suite
 * runs (`FirstWin.test.ts`), so the example a reader copies is one that passes.
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { mains } from "../src/Mains.ts"
import * as Stack from "../src/Stack.ts"

const root = Path.resolve(import.meta.dirname, "..", "..", "..")

describe("docs/testing.md", () => {
  it("shows FirstWin.test.ts character for character", () => {
    const docs = Fs.readFileSync(Path.join(root, "docs", "testing.md"), "utf8")
    const marker = "<!-- example: apps/stack/test/FirstWin.test.ts -->\n```ts\n"
    const start = docs.indexOf(marker)
    assert.isAbove(start, -1, "the example marker is missing from docs/testing.md")
    const block = docs.slice(start + marker.length, docs.indexOf("```\n", start + marker.length))
    assert.strictEqual(block, Fs.readFileSync(Path.join(import.meta.dirname, "FirstWin.test.ts"), "utf8"))
  })

  it("every app the stack mounts has a main.ts for processes mode", () => {
    for (const app of Stack.apps) {
      const main = mains[app.domain]
      assert.isDefined(main, `apps/stack/src/Mains.ts has no main.ts for ${app.domain}`)
      if (main !== undefined) assert.isTrue(Fs.existsSync(main), `${main} does not exist`)
    }
  })
})
