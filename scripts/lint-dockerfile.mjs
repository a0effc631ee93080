#!/usr/bin/env node
// A small Dockerfile linter for CI (no Docker engine and no hadolint here: neither is installable
// from the registries this project uses). It parses the Dockerfile into stages and instructions
// and checks the rules this project's image must keep:
//
//   DL-syntax     every instruction is a known one; JSON-form CMD/ENTRYPOINT/HEALTHCHECK parse
//   pinned-base   every FROM names a tag or a digest, never `latest` nor an untagged image
//   pinned-tools  global npm installs name an exact version (`pnpm@12.21.0`)
//   deps-first    in a stage that installs dependencies, no whole-context `COPY . …` comes before
//                 the install (the lockfile and manifests first, so a source edit reuses the layer)
//   prod-deps     the final stage's node_modules come from a `--prod` install
//   non-root      the final stage switches to a non-root USER before CMD
//   exec-form     CMD is in JSON (exec) form, so the process gets SIGTERM itself
//   healthcheck   the final stage has a HEALTHCHECK on /health/ready
//   env           the final stage sets TESSERA_ENV=production and HOST=0.0.0.0
//   apt           apt-get install uses --no-install-recommends and cleans /var/lib/apt/lists
//
//   node scripts/lint-dockerfile.mjs [Dockerfile]     exit 1 with one line per problem
import { readFileSync } from "node:fs"

const file = process.argv[2] ?? "Dockerfile"
const text = readFileSync(file, "utf8")

const KNOWN = new Set([
  "FROM",
  "RUN",
  "CMD",
  "LABEL",
  "EXPOSE",
  "ENV",
  "ADD",
  "COPY",
  "ENTRYPOINT",
  "VOLUME",
  "USER",
  "WORKDIR",
  "ARG",
  "ONBUILD",
  "STOPSIGNAL",
  "HEALTHCHECK",
  "SHELL",
  "MAINTAINER"
])

/** Instructions with their first line number, continuation lines joined, comments dropped. */
const instructions = []
{
  const lines = text.split("\n")
  let current
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]
    const line = raw.trim()
    if (current === undefined && (line === "" || line.startsWith("#"))) continue
    if (current !== undefined && line.startsWith("#")) continue
    const continued = line.endsWith("\\")
    const body = continued ? line.slice(0, -1) : line
    if (current === undefined) current = { line: i + 1, text: body }
    else current.text += ` ${body}`
    if (!continued) {
      const match = /^(\S+)\s*(.*)$/.exec(current.text)
      instructions.push({ line: current.line, keyword: (match?.[1] ?? "").toUpperCase(), args: match?.[2] ?? "" })
      current = undefined
    }
  }
}

const problems = []
const problem = (instruction, rule, message) => problems.push(`${file}:${instruction?.line ?? 1}: [${rule}] ${message}`)

// Global ARGs (before the first FROM) for resolving `FROM ${NODE_IMAGE}`.
const args = new Map()
for (const instruction of instructions) {
  if (instruction.keyword === "FROM") break
  if (instruction.keyword === "ARG") {
    const [name, value] = instruction.args.split("=")
    if (value !== undefined) args.set(name.trim(), value.trim().replace(/^"|"$/g, ""))
  }
}
const expand = (value) => value.replace(/\$\{?(\w+)\}?/g, (whole, name) => args.get(name) ?? whole)

/** Stages: their FROM and instructions. */
const stages = []
for (const instruction of instructions) {
  if (!KNOWN.has(instruction.keyword)) problem(instruction, "DL-syntax", `unknown instruction ${instruction.keyword}`)
  if (instruction.keyword === "FROM") {
    const [image, as, name] = instruction.args.split(/\s+/)
    stages.push({
      from: instruction,
      image: expand(image ?? ""),
      name: as?.toUpperCase() === "AS" ? name : undefined,
      body: []
    })
  } else if (stages.length > 0) {
    stages[stages.length - 1].body.push(instruction)
  }
}
if (stages.length === 0) problem(undefined, "DL-syntax", "no FROM")

const stageNames = new Set(stages.map((stage) => stage.name).filter(Boolean))
const isJsonArray = (value) => {
  try {
    const parsed = JSON.parse(value)
    return Array.isArray(parsed) && parsed.every((item) => typeof item === "string")
  } catch {
    return false
  }
}

for (const stage of stages) {
  // pinned-base
  if (!stageNames.has(stage.image)) {
    const [, tag] = stage.image.split("@")[0].split(":")
    if (!stage.image.includes("@") && (tag === undefined || tag === "latest")) {
      problem(stage.from, "pinned-base", `${stage.image} is not pinned to a tag or digest`)
    }
  }
  let wholeContextCopied
  for (const instruction of stage.body) {
    const { keyword, args: rest } = instruction
    if (keyword === "COPY" || keyword === "ADD") {
      const parts = rest.split(/\s+/).filter((part) => !part.startsWith("--"))
      const sources = parts.slice(0, -1)
      if (!rest.includes("--from=") && sources.includes(".")) wholeContextCopied = instruction
    }
    if (keyword === "RUN") {
      if (/\b(pnpm|npm|yarn)\s+(install|ci|i)\b/.test(rest) && !/--global|-g\b/.test(rest) && wholeContextCopied) {
        problem(
          instruction,
          "deps-first",
          `dependencies are installed after the whole build context was copied (line ${wholeContextCopied.line}): copy the lockfile and manifests first`
        )
      }
      for (const match of rest.matchAll(/npm\s+install\s+(?:--global|-g)\s+([^\s&;]+)/g)) {
        if (!/@\d+\.\d+\.\d+$/.test(match[1]))
          problem(instruction, "pinned-tools", `${match[1]} is not an exact version`)
      }
      if (/apt-get\s+install/.test(rest)) {
        if (!rest.includes("--no-install-recommends"))
          problem(instruction, "apt", "apt-get install without --no-install-recommends")
        if (!rest.includes("rm -rf /var/lib/apt/lists"))
          problem(instruction, "apt", "apt lists are not removed after install")
      }
    }
    if ((keyword === "CMD" || keyword === "ENTRYPOINT") && !isJsonArray(rest)) {
      problem(instruction, "exec-form", `${keyword} is in shell form: the process would not receive SIGTERM`)
    }
    if (keyword === "HEALTHCHECK" && !/^NONE$/i.test(rest)) {
      const command = /CMD\s+(.*)$/.exec(rest)?.[1] ?? ""
      if (command.startsWith("[") && !isJsonArray(command))
        problem(instruction, "DL-syntax", "HEALTHCHECK CMD is not valid JSON")
    }
  }
}

const final = stages[stages.length - 1]
if (final !== undefined) {
  const body = final.body
  const find = (keyword) => body.filter((instruction) => instruction.keyword === keyword)
  // non-root
  const users = find("USER")
  const lastUser = users[users.length - 1]
  if (lastUser === undefined || /^(root|0)(:|$)/.test(lastUser.args.trim())) {
    problem(lastUser ?? final.from, "non-root", "the final stage does not switch to a non-root USER")
  }
  const cmd = find("CMD")[0] ?? find("ENTRYPOINT")[0]
  if (cmd === undefined) problem(final.from, "exec-form", "the final stage has no CMD")
  else if (lastUser !== undefined && lastUser.line > cmd.line) problem(lastUser, "non-root", "USER comes after CMD")
  // healthcheck
  const health = find("HEALTHCHECK")[0]
  if (health === undefined || !health.args.includes("/health/ready")) {
    problem(health ?? final.from, "healthcheck", "the final stage has no HEALTHCHECK on /health/ready")
  }
  // env
  const env = find("ENV")
    .map((instruction) => instruction.args)
    .join(" ")
  if (!/TESSERA_ENV=production\b/.test(env))
    problem(final.from, "env", "the final stage does not set TESSERA_ENV=production")
  if (!/HOST=0\.0\.0\.0\b/.test(env)) problem(final.from, "env", "the final stage does not set HOST=0.0.0.0")
  // prod-deps: node_modules come from a stage whose install is --prod
  const fromStages = find("COPY")
    .map((instruction) => /--from=(\S+)/.exec(instruction.args)?.[1])
    .filter((name) => name !== undefined)
  const prodStage = stages.find(
    (stage) =>
      fromStages.includes(stage.name) &&
      stage.body.some((instruction) => instruction.keyword === "RUN" && /install[^&]*--prod\b/.test(instruction.args))
  )
  if (prodStage === undefined) {
    problem(final.from, "prod-deps", "the final stage copies no dependencies from a `--prod` install")
  }
  if (find("RUN").some((instruction) => /\b(pnpm|npm)\s+(install|ci)\b(?![^&]*--prod)/.test(instruction.args))) {
    problem(final.from, "prod-deps", "the final stage installs dependencies without --prod")
  }
}

if (problems.length > 0) {
  for (const line of problems) console.error(line)
  console.error(`${problems.length} problem(s) in ${file}`)
  process.exit(1)
}
console.log(`${file}: ${instructions.length} instructions in ${stages.length} stage(s), no problems`)
