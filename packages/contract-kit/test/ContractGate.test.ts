import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { assert, describe, it } from "@effect/vitest"
import { Schema } from "effect"
import { command } from "../src/Contract.ts"
import * as ContractDocs from "../src/ContractDocs.ts"
import * as ContractGate from "../src/ContractGate.ts"
import * as ContractSnapshot from "../src/ContractSnapshot.ts"
import {
  CompleteTask,
  CreateTask,
  catalog,
  GetTask,
  ListTasks,
  Ping,
  PurgeTasks,
  Task
} from "./fixtures/SampleContracts.ts"

const committedDocs = fileURLToPath(new URL("../docs/contracts", import.meta.url))

const tempFolder = () => Fs.mkdtempSync(Path.join(Os.tmpdir(), "contract-docs-"))

/** The sample catalog with `sample.task.create` redefined. */
const withCreate = (
  overrides: Partial<Parameters<typeof command>[0]> & { readonly version?: "1.0.0" | "1.1.0" | "2.0.0" }
) => {
  const { version, ...spec } = overrides
  const changed = command({
    meta: { ...CreateTask.meta, version: version ?? CreateTask.version },
    input: CreateTask.input,
    output: CreateTask.output,
    errors: CreateTask.errors,
    policy: CreateTask.policy,
    emits: CreateTask.emits,
    ...spec
  })
  return [changed, CompleteTask, GetTask, ListTasks, PurgeTasks, Ping]
}

const breakingOf = (contracts: Parameters<typeof ContractSnapshot.make>[0]) =>
  ContractSnapshot.diff(ContractSnapshot.make(catalog), ContractSnapshot.make(contracts))
    .filter((change) => change.breaking)
    .map((change) => `${change.where}: ${change.message}`)

describe("generated docs", () => {
  it("the committed pages and snapshot of the sample catalog are current (the CI check)", () => {
    const report = ContractGate.check(catalog, committedDocs)
    assert.deepStrictEqual(report.lines, ["Contracts docs and snapshot are current (6 contracts)"])
    assert.isTrue(report.ok)
  })

  it("a page carries what the seed pages show", () => {
    const page = ContractDocs.page(CompleteTask)
    for (const expected of [
      "# sample.task.complete",
      "| Type | operation (command) |",
      "| Version | 1.0.0 |",
      "| Stability | stable |",
      "| Owners | @tessera/contract-kit |",
      "| Tags | sample, task, complete |",
      "## Goal\n\nClose finished work.",
      "## Context\n\nTask lifecycle.",
      "- Auth: `user`",
      "| `TASK_NOT_FOUND` | 404 | TaskNotFound | Task not found |",
      "- `task.completed` (v1) — when: The task is completed.",
      "### complete-task-twice",
      "- **Given** Task is done",
      "### complete-groceries",
      '"taskId": "task-1"'
    ]) {
      assert.include(page, expected)
    }
  })

  it("drift: a stale, a missing and an extra page are each reported", () => {
    const folder = tempFolder()
    assert.isTrue(ContractGate.generate(catalog, folder).ok)
    assert.isTrue(ContractGate.check(catalog, folder).ok)
    Fs.appendFileSync(Path.join(folder, "sample.task.get.md"), "\nhand edit\n")
    Fs.rmSync(Path.join(folder, "sample.task.create.md"))
    Fs.writeFileSync(Path.join(folder, "sample.task.gone.md"), "old page\n")
    const report = ContractGate.check(catalog, folder)
    assert.isFalse(report.ok)
    assert.includeMembers(
      [...report.lines],
      [
        "docs: sample.task.create.md is missing",
        "docs: sample.task.get.md is out of date",
        "docs: sample.task.gone.md documents no contract of the catalog"
      ]
    )
    assert.isTrue(ContractGate.generate(catalog, folder).ok)
    assert.isTrue(ContractGate.check(catalog, folder).ok)
  })
})

describe("breaking-change snapshot", () => {
  it("walks the schema AST: wire shapes, optionality, enums and constraints", () => {
    const entry = ContractSnapshot.entry(CreateTask)
    assert.deepStrictEqual(entry.input, {
      type: "struct",
      properties: {
        id: { shape: { type: "string", checks: ["a value with a length of at least 1"] }, optional: false },
        title: {
          shape: {
            type: "string",
            checks: ["a value with a length of at least 1", "a value with a length of at most 200"]
          },
          optional: false
        }
      }
    })
    assert.deepStrictEqual(ContractSnapshot.shape(Task.fields.status), { type: "enum", values: ["open", "done"] })
    assert.deepStrictEqual(entry.errors.TaskExists?.status, 409)
    assert.deepStrictEqual(Object.keys(entry.events), ["task.created@1"])
  })

  it("detects a removed field, a changed type, optional → required and a removed enum member", () => {
    assert.deepStrictEqual(
      breakingOf(
        withCreate({ output: Schema.Struct({ id: Schema.String, title: Schema.String, status: Task.fields.status }) })
      ),
      ["sample.task.create output.createdBy: field removed"]
    )
    assert.deepStrictEqual(
      breakingOf(
        withCreate({ input: Schema.Struct({ id: Schema.String.check(Schema.isMinLength(1)), title: Schema.Number }) })
      ),
      ["sample.task.create input.title: type changed from string to number"]
    )
    const optionalEcho = Schema.Struct({ echo: Schema.optional(Schema.String) })
    const requiredEcho = Schema.Struct({ echo: Schema.String })
    const base = ContractSnapshot.make([withCreate({ input: optionalEcho })[0] ?? CreateTask])
    const next = ContractSnapshot.make([withCreate({ input: requiredEcho })[0] ?? CreateTask])
    assert.deepStrictEqual(
      ContractSnapshot.diff(base, next)
        .filter((change) => change.breaking)
        .map((change) => `${change.where}: ${change.message}`),
      [
        "sample.task.create input.echo: optional → required",
        "sample.task.create input.echo: type changed from string | null to string"
      ]
    )
    assert.deepStrictEqual(
      breakingOf(
        withCreate({
          output: Schema.Struct({ ...Task.fields, status: Schema.Literals(["open"]) })
        })
      ),
      ['sample.task.create output.status: enum member "done" removed']
    )
  })

  it("compatible changes pass: an optional input field, a new output field, a new enum member", () => {
    const changes = ContractSnapshot.diff(
      ContractSnapshot.make(catalog),
      ContractSnapshot.make(
        withCreate({
          version: "1.1.0",
          input: Schema.Struct({ ...CreateTask.input.fields, note: Schema.optional(Schema.String) }),
          output: Schema.Struct({
            ...Task.fields,
            status: Schema.Literals(["open", "done", "archived"]),
            due: Schema.String
          })
        })
      )
    )
    assert.deepStrictEqual(
      changes.filter((change) => change.breaking),
      []
    )
    assert.includeMembers(
      changes.map((change) => `${change.where}: ${change.message}`),
      [
        "sample.task.create input.note: optional field added",
        'sample.task.create output.status: enum member "archived" added',
        "sample.task.create output.due: required field added",
        "sample.task.create: version 1.0.0 → 1.1.0"
      ]
    )
  })

  it("a major bump releases a stable contract; non-stable contracts may change; removing a stable one breaks", () => {
    const incompatible = { output: Schema.Struct({ id: Schema.String }) }
    assert.deepStrictEqual(breakingOf(withCreate({ ...incompatible, version: "2.0.0" })), [])
    const beta = { meta: { ...CreateTask.meta, stability: "beta" as const } }
    const wasBeta = ContractSnapshot.make(withCreate(beta))
    const changedBeta = ContractSnapshot.make(withCreate({ ...beta, ...incompatible }))
    assert.deepStrictEqual(
      ContractSnapshot.diff(wasBeta, changedBeta).filter((change) => change.breaking),
      []
    )
    // Leaving `stable` does not escape the gate: the committed stability is what counts.
    assert.lengthOf(breakingOf(withCreate({ ...beta, ...incompatible })), 3)
    assert.deepStrictEqual(breakingOf([CompleteTask, GetTask, PurgeTasks, Ping]), [
      "sample.task.create: stable contract removed (deprecate it before removing it)"
    ])
  })

  it("the gate refuses to write a breaking snapshot and check fails printing exactly what changed", () => {
    const folder = tempFolder()
    assert.isTrue(ContractGate.generate(catalog, folder).ok)
    const broken = withCreate({
      output: Schema.Struct({ id: Schema.String, title: Schema.String, status: Task.fields.status })
    })
    const snapshotBefore = Fs.readFileSync(Path.join(folder, ContractDocs.SNAPSHOT_FILE), "utf8")
    const refused = ContractGate.generate(broken, folder)
    assert.isFalse(refused.ok)
    assert.include(refused.lines.join("\n"), "BREAKING sample.task.create output.createdBy: field removed")
    assert.strictEqual(Fs.readFileSync(Path.join(folder, ContractDocs.SNAPSHOT_FILE), "utf8"), snapshotBefore)
    const checked = ContractGate.check(broken, folder)
    assert.isFalse(checked.ok)
    assert.include(checked.lines.join("\n"), "BREAKING sample.task.create output.createdBy: field removed")
  })
})
