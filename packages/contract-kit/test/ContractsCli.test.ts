/**
 * The `contracts` command as a process: help and version, a current catalog checks clean, a stale
 * docs folder fails with the reason (exit 1), and usage errors are one line with exit 2.
 */
import { execFile } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"

const cli = Path.join(import.meta.dirname, "..", "src", "bin", "contracts.ts")
const sample = Path.join(import.meta.dirname, "fixtures", "SampleContracts.ts")

const run = (...args: Array<string>) =>
  Effect.callback<{ readonly code: number; readonly stdout: string; readonly stderr: string }>((resume) => {
    execFile(process.execPath, [cli, ...args], (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1
      resume(Effect.succeed({ code, stdout, stderr }))
    })
  })

describe("contracts CLI", () => {
  it.effect(
    "--help, --version, docs then check, a stale folder, usage errors",
    () =>
      Effect.gen(function* () {
        const help = yield* run("--help")
        assert.strictEqual(help.code, 0)
        assert.include(help.stdout, "docs")
        assert.include(help.stdout, "check")
        const version = yield* run("--version")
        assert.match(version.stdout, /contracts v\d+\.\d+\.\d+/)

        const out = Fs.mkdtempSync(Path.join(Os.tmpdir(), "contracts-cli-"))
        const stale = yield* run("check", "--catalog", sample, "--out", out)
        assert.strictEqual(stale.code, 1)
        assert.notStrictEqual(stale.stderr.trim(), "")
        const written = yield* run("docs", "--catalog", sample, "--out", out)
        assert.strictEqual(written.code, 0, written.stderr)
        assert.isTrue(Fs.existsSync(Path.join(out, "snapshot.json")))
        const current = yield* run("check", "--catalog", sample, "--out", out)
        assert.strictEqual(current.code, 0, current.stderr)
        assert.include(current.stdout, "current")
        Fs.rmSync(out, { recursive: true, force: true })

        const missing = yield* run("check", "--catalog", sample)
        assert.strictEqual(missing.code, 2)
        assert.strictEqual(missing.stderr.trim().split("\n").length, 1)
        assert.include(missing.stderr, "--out")
        const unknown = yield* run("publish")
        assert.strictEqual(unknown.code, 2)
        const noCatalog = yield* run("check", "--catalog", "nowhere.ts", "--out", "x")
        assert.strictEqual(noCatalog.code, 2)
        assert.include(noCatalog.stderr, "cannot load nowhere.ts")
      }),
    // Nine Node processes, each loading the kit: a bound for a loaded machine, not a timing assertion.
    180_000
  )
})
