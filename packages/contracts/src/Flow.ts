/**
 * Flows across domains as data, like a contract's acceptance scenarios but spanning domains: a
 * key, given/when/then, and the steps in order — contract calls over HTTP and events handled by
 * another domain's consumer. Each flow has a test whose title names it (`flow <key>: …`, checked
 * by `@tessera/test-kit/FlowCoverage`), the steps are checked against the catalogs and the event
 * registry, and every flow is rendered in the generated docs (`docs/flows.md`).
 *
 * Definition only: no server, database or test dependency.
 */
import type { AnyContract } from "@tessera/contract-kit/Contract"
import * as Registry from "@tessera/envelope/Registry"
import { Option } from "effect"

/** A step: a contract called (its key), or an event handled by a consuming domain. */
export type Step =
  | { readonly call: string; readonly note?: string | undefined }
  | { readonly event: string; readonly handledBy: string; readonly note?: string | undefined }

export interface Flow {
  /** `<domain>.<name>`: what test titles name (`flow crm.first-win: …`). */
  readonly key: string
  readonly title: string
  /** The domains it crosses, the acting one first. */
  readonly domains: ReadonlyArray<string>
  readonly given: ReadonlyArray<string>
  readonly when: ReadonlyArray<string>
  readonly then: ReadonlyArray<string>
  readonly steps: ReadonlyArray<Step>
}

export const make = <const F extends Flow>(flow: F): F => flow

const domainOfKey = (key: string) => key.split(".")[0] ?? key

/**
 * Every problem with the flows: a duplicate key, a key outside its domains, a call of no contract
 * in `catalogs`, an event not in the registry or not consumed by the domain said to handle it.
 */
export const check = (
  flows: ReadonlyArray<Flow>,
  options: { readonly catalogs: ReadonlyArray<ReadonlyArray<AnyContract>>; readonly registry: Registry.Registry }
): ReadonlyArray<string> => {
  const problems: Array<string> = []
  const keys = new Set(options.catalogs.flatMap((catalog) => catalog.map((contract) => contract.key)))
  const seen = new Set<string>()
  for (const flow of flows) {
    if (seen.has(flow.key)) problems.push(`${flow.key}: declared twice`)
    seen.add(flow.key)
    if (!flow.domains.includes(domainOfKey(flow.key)))
      problems.push(`${flow.key}: its key's domain is not among its domains (${flow.domains.join(", ")})`)
    if (flow.steps.length === 0) problems.push(`${flow.key}: no steps`)
    for (const step of flow.steps) {
      if ("call" in step) {
        if (!keys.has(step.call)) problems.push(`${flow.key}: calls ${step.call}, which no catalog has`)
        else if (!flow.domains.includes(domainOfKey(step.call)))
          problems.push(`${flow.key}: calls ${step.call}, outside its domains`)
        continue
      }
      const entry = Registry.findEntry(options.registry, step.event)
      if (Option.isNone(entry)) problems.push(`${flow.key}: ${step.event} is not in the event registry`)
      else if (!entry.value.consumers.includes(step.handledBy))
        problems.push(`${flow.key}: ${step.handledBy} is not a registered consumer of ${step.event}`)
      if (!flow.domains.includes(step.handledBy))
        problems.push(`${flow.key}: ${step.event} is handled by ${step.handledBy}, outside its domains`)
    }
  }
  return problems
}

/** The flows as a Markdown page (`docs/flows.md`); `pageOf(key)` links a contract to its page. */
export const render = (flows: ReadonlyArray<Flow>, pageOf: (contractKey: string) => string | undefined): string => {
  const lines = [
    "# Flows across domains",
    "",
    "Generated from `packages/contracts/src/flows.ts` by `pnpm --filter @tessera/contracts generate`; do not edit.",
    "Each flow has a test naming it (`flow <key>: …`), run in one process and as separate processes",
    "(see docs/testing.md).",
    ""
  ]
  for (const flow of flows) {
    lines.push(`## ${flow.key} — ${flow.title}`, "", `Domains: ${flow.domains.join(" → ")}`, "")
    for (const [label, items] of [
      ["Given", flow.given],
      ["When", flow.when],
      ["Then", flow.then]
    ] as const) {
      for (const [i, item] of items.entries()) lines.push(`- ${i === 0 ? `**${label}** ` : "and "}${item}`)
    }
    lines.push("", "| # | step | domain |", "| --- | --- | --- |")
    for (const [i, step] of flow.steps.entries()) {
      const note = step.note === undefined ? "" : ` — ${step.note}`
      if ("call" in step) {
        const page = pageOf(step.call)
        const name = page === undefined ? `\`${step.call}\`` : `[\`${step.call}\`](${page})`
        lines.push(`| ${i + 1} | calls ${name}${note} | ${domainOfKey(step.call)} |`)
      } else {
        lines.push(`| ${i + 1} | \`${step.event}\` handled${note} | ${step.handledBy} |`)
      }
    }
    lines.push("")
  }
  return lines.join("\n")
}
