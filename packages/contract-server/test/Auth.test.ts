import { execFile } from "node:child_process"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Redacted } from "effect"
import { TestClock } from "effect/testing"
import * as Auth from "../src/Auth.ts"

const withEnv = (env: Record<string, string>) => Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnvRecord(env)))

const run = promisify(execFile)
const tokenCli = (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  Effect.promise(() =>
    run(process.execPath, [fileURLToPath(new URL("../src/bin/token.ts", import.meta.url)), ...args], {
      env: { PATH: process.env.PATH ?? "", ...env }
    }).then(
      ({ stdout }) => ({ code: 0, stdout, stderr: "" }),
      (error: { code: number; stdout: string; stderr: string }) => ({
        code: error.code,
        stdout: error.stdout,
        stderr: error.stderr
      })
    )
  )

describe("Auth", () => {
  it.effect("a minted token verifies to its principal; another secret's does not", () =>
    Effect.gen(function* () {
      const auth = Auth.make(Redacted.make("a-secret-of-at-least-thirty-two-chars!"))
      const token = yield* auth.mint({ userId: "u1", organizationId: "o1", roles: ["admin"] })
      assert.deepStrictEqual(yield* auth.verify(token), { userId: "u1", organizationId: "o1", roles: ["admin"] })
      const other = Auth.make(Redacted.make("another-secret-of-at-least-thirty-two!"))
      const error = yield* Effect.flip(other.verify(token))
      assert.strictEqual(error._tag, "TokenInvalid")
      const garbage = yield* Effect.flip(auth.verify("not.a.jwt"))
      assert.strictEqual(garbage._tag, "TokenInvalid")
    })
  )

  it.effect("development uses the public development secret when none is configured", () =>
    Effect.gen(function* () {
      const auth = yield* Auth.fromConfig.pipe(withEnv({}))
      assert.strictEqual(auth.environment, "development")
      assert.isTrue(auth.usesDevSecret)
    })
  )

  it.effect("production refuses a missing secret, the development secret and a short one", () =>
    Effect.gen(function* () {
      const missing = yield* Effect.flip(Auth.fromConfig.pipe(withEnv({ TESSERA_ENV: "production" })))
      assert.include(missing.message, "TESSERA_AUTH_SECRET is required")
      const dev = yield* Effect.flip(
        Auth.fromConfig.pipe(
          withEnv({ TESSERA_ENV: "production", TESSERA_AUTH_SECRET: Redacted.value(Auth.DEV_SECRET) })
        )
      )
      assert.include(dev.message, "public development secret")
      const short = yield* Effect.flip(
        Auth.fromConfig.pipe(withEnv({ TESSERA_ENV: "production", TESSERA_AUTH_SECRET: "short" }))
      )
      assert.include(short.message, "at least 32")
      const ok = yield* Auth.fromConfig.pipe(
        withEnv({ TESSERA_ENV: "production", TESSERA_AUTH_SECRET: "a-production-secret-of-enough-length" })
      )
      assert.isFalse(ok.usesDevSecret)
    })
  )

  it.effect("the token command mints a development token that the dev configuration accepts", () =>
    Effect.gen(function* () {
      const result = yield* tokenCli(["--user", "alice", "--org", "acme", "--roles", "admin,sales"])
      assert.strictEqual(result.code, 0)
      const auth = Auth.make(Auth.DEV_SECRET)
      assert.deepStrictEqual(yield* auth.verify(result.stdout.trim()), {
        userId: "alice",
        organizationId: "acme",
        roles: ["admin", "sales"]
      })
    })
  )

  it.effect("the token command: --help and --version on stdout, a bad flag is one line on stderr and exit 2", () =>
    Effect.gen(function* () {
      const help = yield* tokenCli(["--help"])
      assert.strictEqual(help.code, 0)
      for (const flag of ["--user", "--service", "--org", "--roles", "--hours"]) assert.include(help.stdout, flag)
      const version = yield* tokenCli(["--version"])
      assert.strictEqual(version.code, 0)
      assert.match(version.stdout, /dev-token v\d+\.\d+\.\d+/)
      const bad = yield* tokenCli(["--hours", "abc"])
      assert.strictEqual(bad.code, 2)
      assert.strictEqual(bad.stdout, "")
      assert.strictEqual(bad.stderr.trim().split("\n").length, 1)
      assert.include(bad.stderr, "--hours")
      const unknown = yield* tokenCli(["--frobnicate"])
      assert.strictEqual(unknown.code, 2)
      assert.include(unknown.stderr, "--frobnicate")
    })
  )

  it.effect("the token command mints a service principal's token with --service", () =>
    Effect.gen(function* () {
      const result = yield* tokenCli(["--service", "crm-intake", "--org", "acme"])
      assert.strictEqual(result.code, 0)
      const auth = Auth.make(Auth.DEV_SECRET)
      assert.deepStrictEqual(yield* auth.verify(result.stdout.trim()), {
        userId: "crm-intake",
        organizationId: "acme",
        roles: [],
        kind: "service"
      })
    })
  )

  it.effect("a correctly signed token with an over-long or unstorable sub, org or role does not verify", () =>
    Effect.gen(function* () {
      const auth = Auth.make(Redacted.make("a-secret-of-at-least-thirty-two-chars!"))
      for (const principal of [
        { userId: "u".repeat(65), organizationId: "o1", roles: [] },
        { userId: "u1", organizationId: "o".repeat(201), roles: [] },
        { userId: "u\u0000", organizationId: "o1", roles: [] },
        { userId: "u1", organizationId: "o1", roles: ["r".repeat(65)] }
      ]) {
        const token = yield* auth.mint(principal)
        const error = yield* Effect.flip(auth.verify(token))
        assert.strictEqual(error.reason, "ERR_JWT_CLAIMS_INVALID")
      }
      // At the bounds, it verifies.
      const bounded = { userId: "u".repeat(64), organizationId: "o".repeat(200), roles: [] }
      assert.deepStrictEqual(yield* auth.verify(yield* auth.mint(bounded)), bounded)
    })
  )

  it.effect("a verified token is remembered until it expires, then refused like any expired token", () =>
    Effect.gen(function* () {
      const auth = Auth.make(Redacted.make("a-secret-of-at-least-thirty-two-chars!"))
      const token = yield* auth.mint({ userId: "u1", organizationId: "o1", roles: [] }, { expiresIn: "1 hour" })
      const first = yield* auth.verify(token)
      assert.deepStrictEqual(yield* auth.verify(token), first)
      // A tampered token is not the remembered one: it is verified, and fails.
      const tampered = yield* Effect.flip(auth.verify(`${token.slice(0, -2)}xx`))
      assert.strictEqual(tampered._tag, "TokenInvalid")
      yield* TestClock.adjust("61 minutes")
      const expired = yield* Effect.flip(auth.verify(token))
      assert.strictEqual(expired.reason, "ERR_JWT_EXPIRED")
    })
  )

  it.effect("the token command is refused under production configuration", () =>
    Effect.gen(function* () {
      const result = yield* tokenCli(["--user", "alice", "--org", "acme"], {
        TESSERA_ENV: "production",
        TESSERA_AUTH_SECRET: "a-production-secret-of-enough-length"
      })
      assert.strictEqual(result.code, 1)
      assert.strictEqual(result.stdout, "")
      assert.include(result.stderr, "cannot be minted when TESSERA_ENV=production")
    })
  )
})
