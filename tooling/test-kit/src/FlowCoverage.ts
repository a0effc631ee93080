/**
 * Flow coverage: every flow across domains (`@tessera/contracts/flows`) must be named by a test,
 * as contracts' acceptance scenarios are (`@tessera/contract-kit/Acceptance`). "Named" means a
 * test or suite title containing `flow <key>:` — e.g. `it.effect("flow crm.first-win: …")` — so
 * `crm.first-win` is not covered by a test of `crm.first-win-catch-up`.
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import * as Acceptance from "@tessera/contract-kit/Acceptance"

/** The titles of every test and suite in the `*.test.ts` files under `folder`. */
export const titlesIn = (folder: string): ReadonlyArray<string> =>
  Fs.readdirSync(folder, { recursive: true, encoding: "utf8" })
    .filter((name) => /\.test\.tsx?$/.test(name) && !name.includes("node_modules"))
    .flatMap((name) => Acceptance.testTitles(Fs.readFileSync(Path.join(folder, name), "utf8")))

/** The keys of the flows no test title under `folder` names. */
export const uncovered = (flows: ReadonlyArray<{ readonly key: string }>, folder: string): ReadonlyArray<string> => {
  const titles = titlesIn(folder)
  return flows.filter((flow) => !titles.some((title) => title.includes(`flow ${flow.key}:`))).map((flow) => flow.key)
}

/** Flow keys test titles under `folder` name (`flow <key>:`) that no declared flow has: a typo, or a flow to declare. */
export const undeclared = (flows: ReadonlyArray<{ readonly key: string }>, folder: string): ReadonlyArray<string> => {
  const keys = new Set(flows.map((flow) => flow.key))
  const named = titlesIn(folder).flatMap((title) => Array.from(title.matchAll(/\bflow ([\w.-]+):/g), (m) => m[1] ?? ""))
  return [...new Set(named)].filter((key) => !keys.has(key))
}
