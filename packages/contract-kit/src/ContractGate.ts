/**
 * The CI gate over a catalog's generated files: `generate` writes the Markdown pages and the
 * schema snapshot (refusing a snapshot that breaks a stable contract without a major bump);
 * `check` fails when the pages are stale or the catalog breaks the committed snapshot, printing
 * exactly what changed. Used by `src/bin/contracts.ts` (the `docs` and `check` scripts).
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import * as Catalog from "./Catalog.ts"
import type { AnyContract } from "./Contract.ts"
import * as ContractDocs from "./ContractDocs.ts"
import * as ContractSnapshot from "./ContractSnapshot.ts"

export interface Report {
  readonly ok: boolean
  readonly lines: ReadonlyArray<string>
}

const readSnapshot = (path: string): ContractSnapshot.Snapshot | undefined =>
  Fs.existsSync(path) ? ContractSnapshot.parse(Fs.readFileSync(path, "utf8")) : undefined

const catalogLines = (contracts: ReadonlyArray<AnyContract>) =>
  Catalog.problems(contracts).map((problem) => `catalog: ${problem.contract}: ${problem.problem}`)

/** Regenerates `folder`; refuses (writing nothing) on an invalid catalog or a breaking change. */
export const generate = (contracts: ReadonlyArray<AnyContract>, folder: string): Report => {
  const problems = catalogLines(contracts)
  if (problems.length > 0) return { ok: false, lines: problems }
  const files = ContractDocs.render(contracts)
  const current = ContractSnapshot.make(contracts)
  const committed = readSnapshot(Path.join(folder, ContractDocs.SNAPSHOT_FILE))
  const changes = committed === undefined ? [] : ContractSnapshot.diff(committed, current)
  const breaking = changes.filter((change) => change.breaking)
  if (breaking.length > 0) {
    return {
      ok: false,
      lines: [
        "Incompatible changes to stable contracts (bump the major version, or add a new key):",
        ContractSnapshot.formatChanges(breaking)
      ]
    }
  }
  ContractDocs.writePages(files, folder)
  Fs.writeFileSync(Path.join(folder, ContractDocs.SNAPSHOT_FILE), ContractSnapshot.render(current))
  return {
    ok: true,
    lines: [
      `Wrote ${files.size - 1} pages and ${ContractDocs.SNAPSHOT_FILE} to ${folder}`,
      ...(changes.length > 0 ? [ContractSnapshot.formatChanges(changes)] : [])
    ]
  }
}

export interface CheckOptions {
  /** Compare against this snapshot instead of the committed one (e.g. the base branch's). */
  readonly baseSnapshot?: string | undefined
}

/** Fails on an invalid catalog, stale or missing pages, a breaking change or an outdated snapshot. */
export const check = (contracts: ReadonlyArray<AnyContract>, folder: string, options: CheckOptions = {}): Report => {
  const lines: Array<string> = [...catalogLines(contracts)]
  const files = ContractDocs.render(contracts)
  const drift = ContractDocs.drift(files, folder)
  for (const name of drift.missing) lines.push(`docs: ${name} is missing`)
  for (const name of drift.stale) lines.push(`docs: ${name} is out of date`)
  for (const name of drift.extra) lines.push(`docs: ${name} documents no contract of the catalog`)

  const snapshotPath = Path.join(folder, ContractDocs.SNAPSHOT_FILE)
  const current = ContractSnapshot.make(contracts)
  const base = readSnapshot(options.baseSnapshot ?? snapshotPath)
  if (base === undefined) {
    lines.push(`snapshot: ${options.baseSnapshot ?? snapshotPath} is missing`)
  } else {
    const changes = ContractSnapshot.diff(base, current)
    const breaking = changes.filter((change) => change.breaking)
    if (breaking.length > 0) {
      lines.push(
        "snapshot: incompatible changes to stable contracts without a major version bump:",
        ContractSnapshot.formatChanges(breaking)
      )
    }
  }
  const committedText = Fs.existsSync(snapshotPath) ? Fs.readFileSync(snapshotPath, "utf8") : ""
  if (base !== undefined && committedText !== ContractSnapshot.render(current)) {
    lines.push(`snapshot: ${ContractDocs.SNAPSHOT_FILE} is out of date`)
  }
  if (lines.length > 0) lines.push("Run the docs script to regenerate (it refuses breaking changes).")
  return {
    ok: lines.length === 0,
    lines: lines.length === 0 ? [`Contracts docs and snapshot are current (${contracts.length} contracts)`] : lines
  }
}
