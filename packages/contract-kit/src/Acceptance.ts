/**
 * Acceptance coverage: every scenario key a contract declares must be named by a test. Apps call
 * `uncovered(catalog, testFolder)` in a test of their own, so a new scenario without a test fails.
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { type AnyContract, idOf } from "./Contract.ts"

export interface UncoveredScenario {
  readonly contract: string
  readonly scenario: string
}

const testSources = (folder: string): ReadonlyArray<string> =>
  Fs.readdirSync(folder, { recursive: true, encoding: "utf8" })
    .filter((name) => /\.test\.tsx?$/.test(name))
    .map((name) => Fs.readFileSync(Path.join(folder, name), "utf8"))

/** Scenarios whose key appears in no `*.test.ts` under `folder`. */
export const uncovered = (contracts: ReadonlyArray<AnyContract>, folder: string): ReadonlyArray<UncoveredScenario> => {
  const sources = testSources(folder)
  return contracts.flatMap((contract) =>
    contract.acceptance.scenarios
      .filter((scenario) => !sources.some((source) => source.includes(scenario.key)))
      .map((scenario) => ({ contract: idOf(contract), scenario: scenario.key }))
  )
}
