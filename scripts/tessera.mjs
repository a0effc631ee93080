#!/usr/bin/env node
// Tessera's front door: `npm start` and `npm test` run this file with whatever Node is on the
// machine (20 or newer). It makes sure the pinned toolchain is there — Node 24 and pnpm 12,
// installed from the npm registry into ./.tools when the machine's are missing or too old, never
// touching the system's Node — installs the workspace when needed, then runs the command.
//
//   node scripts/tessera.mjs setup     toolchain + `pnpm install --frozen-lockfile`
//   node scripts/tessera.mjs start     setup, then the whole stack (apps/stack) on :3000
//   node scripts/tessera.mjs test      setup, then every package's tests (turbo run test)
//   node scripts/tessera.mjs run ...   setup, then any command with the toolchain on PATH
//
// Plain JavaScript on purpose: it must run on Node 20 before anything is installed.
import { execFileSync, spawn, spawnSync } from "node:child_process"
import { existsSync, readFileSync, statSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const NODE_VERSION = "24.21.0"
const PNPM_VERSION = "12.21.0"

const root = dirname(dirname(fileURLToPath(import.meta.url)))
const tools = join(root, ".tools")
const toolsBin = join(tools, "bin")

const say = (message) => process.stderr.write(`tessera: ${message}\n`)

const versionOf = (command) => {
  try {
    return execFileSync(command, ["--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] })
      .trim()
      .replace(/^v/, "")
  } catch {
    return undefined
  }
}

const major = (version) => Number(version?.split(".")[0] ?? 0)

/** Installs pinned packages into ./.tools with the machine's npm. */
const npmInstall = (specs) => {
  say(`installing ${specs.join(" and ")} into .tools (the system's Node is not touched)`)
  const result = spawnSync(
    "npm",
    ["install", "--global", "--prefix", tools, "--no-audit", "--no-fund", "--loglevel=error", ...specs],
    // The `node` and `pnpm` packages put their binaries in place from install scripts, which npm
    // runs for global installs (setting allow-scripts here would break the nested install the
    // `node` package performs).
    { stdio: "inherit" }
  )
  if (result.status !== 0) {
    say(`could not install ${specs.join(" ")} with npm (exit ${result.status}). Is the npm registry reachable?`)
    process.exit(1)
  }
}

/** Returns the environment whose PATH has Node 24 and pnpm 12 first. */
const ensureToolchain = () => {
  const path = `${toolsBin}:${process.env.PATH ?? ""}`
  const env = { ...process.env, PATH: path }
  const missing = []
  const localNode = versionOf(join(toolsBin, "node"))
  if (major(process.versions.node) !== 24 && major(localNode) !== 24) missing.push(`node@${NODE_VERSION}`)
  const localPnpm = versionOf(join(toolsBin, "pnpm"))
  const pathPnpm = versionOf("pnpm")
  if (localPnpm !== PNPM_VERSION && pathPnpm !== PNPM_VERSION) missing.push(`pnpm@${PNPM_VERSION}`)
  if (missing.length > 0) npmInstall(missing)
  if (major(process.versions.node) !== 24 && major(versionOf(join(toolsBin, "node"))) !== 24) {
    say(`Node 24 is not available after installing node@${NODE_VERSION} into .tools`)
    process.exit(1)
  }
  // A globally installed pnpm of another version comes after ours on PATH.
  return env
}

/** `pnpm install --frozen-lockfile` unless node_modules already matches the lockfile. */
const ensureInstalled = (env) => {
  const lock = join(root, "pnpm-lock.yaml")
  const installed = join(root, "node_modules", ".pnpm", "lock.yaml")
  const current =
    existsSync(installed) &&
    statSync(installed).mtimeMs >= statSync(lock).mtimeMs &&
    readFileSync(installed, "utf8").length > 0
  if (current && !process.env.CI) return
  const result = spawnSync("pnpm", ["install", "--frozen-lockfile"], { cwd: root, stdio: "inherit", env })
  if (result.status !== 0) process.exit(result.status ?? 1)
}

/** Runs a command to completion, passing Ctrl-C / SIGTERM to it and exiting with its code. */
const run = (command, args, env) => {
  const child = spawn(command, args, { cwd: root, stdio: "inherit", env })
  // The terminal sends Ctrl-C to the whole process group; the child shuts down on its own. We only
  // wait for it (and forward a SIGTERM sent to us alone).
  process.on("SIGINT", () => {})
  process.on("SIGTERM", () => child.kill("SIGTERM"))
  child.on("exit", (code, signal) => {
    if (signal === "SIGINT" || signal === "SIGTERM") process.exit(130)
    process.exit(code ?? 1)
  })
}

const [command = "help", ...rest] = process.argv.slice(2)
switch (command) {
  case "setup": {
    ensureInstalled(ensureToolchain())
    break
  }
  case "start": {
    const env = ensureToolchain()
    ensureInstalled(env)
    // Studio's bundle (apps/studio/dist): rebuilt only when its sources changed (a hash check otherwise).
    const studio = spawnSync("node", [join("apps", "studio", "scripts", "build.mjs")], {
      cwd: root,
      stdio: "inherit",
      env
    })
    if (studio.status !== 0) say("Studio could not be built: the stack starts without it (/studio says so)")
    run("node", [join("apps", "stack", "src", "main.ts"), ...rest], env)
    break
  }
  case "test": {
    const env = ensureToolchain()
    ensureInstalled(env)
    // --continue: report every failing package, not just the first. Two packages at a time: each
    // runs its own PostgreSQL and parallel test files, so more only thrashes a small machine.
    run("pnpm", ["exec", "turbo", "run", "test", "--continue", "--concurrency=2", ...rest], env)
    break
  }
  case "run": {
    const env = ensureToolchain()
    ensureInstalled(env)
    if (rest.length === 0) {
      say("usage: node scripts/tessera.mjs run <command> [args...]")
      process.exit(2)
    }
    run(rest[0], rest.slice(1), env)
    break
  }
  default: {
    say("usage: node scripts/tessera.mjs <setup|start|test|run <command...>>")
    process.exit(command === "help" ? 0 : 2)
  }
}
