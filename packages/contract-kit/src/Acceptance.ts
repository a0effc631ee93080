/**
 * Acceptance coverage: every scenario key a contract declares must be named by a test. Apps call
 * `uncovered(catalog, testFolder)` in a test of their own, so a new scenario without a test fails.
 *
 * "Named" means: in the title of a test (`it(…)`, `it.effect(…)`, `test(…)`, `describe(…)`), as a
 * string literal. A key in a comment, or anywhere else in the file, does not count.
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { type AnyContract, idOf } from "./Contract.ts"

export interface UncoveredScenario {
  readonly contract: string
  readonly scenario: string
}

/** Block and line comments removed (string contents are kept: a title may contain `//`). */
const withoutComments = (source: string): string =>
  source.replace(
    /("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`)|\/\*[\s\S]*?\*\/|\/\/[^\n]*/g,
    (match, literal) => (literal === undefined ? "" : match)
  )

/** The titles of the tests and suites in a source: the first string argument of `it`, `test`, `describe` and their modifiers. */
export const testTitles = (source: string): ReadonlyArray<string> =>
  Array.from(
    withoutComments(source).matchAll(/\b(?:it|test|describe)(?:\.\w+)*\(\s*(["'`])((?:(?!\1)[^\\]|\\.)*)\1/g),
    (match) => match[2] ?? ""
  )

const titlesIn = (folder: string): ReadonlyArray<string> =>
  Fs.readdirSync(folder, { recursive: true, encoding: "utf8" })
    .filter((name) => /\.test\.tsx?$/.test(name))
    .flatMap((name) => testTitles(Fs.readFileSync(Path.join(folder, name), "utf8")))

/** Scenarios whose key is in the title of no test in a `*.test.ts` under `folder`. */
export const uncovered = (contracts: ReadonlyArray<AnyContract>, folder: string): ReadonlyArray<UncoveredScenario> => {
  const titles = titlesIn(folder)
  return contracts.flatMap((contract) =>
    contract.acceptance.scenarios
      .filter((scenario) => !titles.some((title) => title.includes(scenario.key)))
      .map((scenario) => ({ contract: idOf(contract), scenario: scenario.key }))
  )
}
