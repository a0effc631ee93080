/**
 * The credential vault alone: sealed credentials open only with the same key for the same
 * organization and connection, the ciphertext holds no secret, and the key's configuration is
 * checked (required in production, 32 bytes, not the development key there).
 */
import { assert, describe, it } from "@effect/vitest"
import type { Credentials } from "@tessera/contracts/integration-hub/Connections"
import { ConfigProvider, Effect, Layer, Redacted } from "effect"
import { CredentialVault } from "../src/services/CredentialVault.ts"

const vaultWith = (env: Record<string, string>) =>
  Effect.gen(function* () {
    return yield* CredentialVault
  }).pipe(
    Effect.provide(CredentialVault.layer.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnvRecord(env)))))
  )

const credentials: Credentials = {
  type: "basic",
  username: Redacted.make("alice"),
  password: Redacted.make("s3cr3t-pass")
}
const binding = { organizationId: "org_a", connectionId: "conn_1" }
const KEY = Buffer.alloc(32, 7).toString("base64")

describe("CredentialVault", () => {
  it.effect("seals without the secret and opens only for the same organization and connection", () =>
    Effect.gen(function* () {
      const vault = yield* vaultWith({ TESSERA_INTEGRATION_KEY: KEY })
      const sealed = yield* vault.seal(credentials, binding)
      assert.match(sealed, /^v1:/)
      assert.notInclude(sealed, "s3cr3t")
      assert.notInclude(Buffer.from(sealed.slice(3), "base64").toString("latin1"), "s3cr3t-pass")
      const opened = yield* vault.open(sealed, binding)
      assert.strictEqual(opened.type, "basic")
      if (opened.type === "basic") assert.strictEqual(Redacted.value(opened.password), "s3cr3t-pass")
      assert.strictEqual(String(opened.type === "basic" ? opened.password : ""), "<redacted>")
      const elsewhere = yield* Effect.flip(vault.open(sealed, { organizationId: "org_b", connectionId: "conn_1" }))
      assert.strictEqual(elsewhere._tag, "VaultError")
      const otherKey = yield* vaultWith({ TESSERA_INTEGRATION_KEY: Buffer.alloc(32, 9).toString("base64") })
      assert.strictEqual((yield* Effect.flip(otherKey.open(sealed, binding)))._tag, "VaultError")
    })
  )

  it.effect("the key: development default outside production, required and checked in production", () =>
    Effect.gen(function* () {
      const development = yield* vaultWith({})
      assert.strictEqual(
        (yield* development.open(yield* development.seal(credentials, binding), binding)).type,
        "basic"
      )
      const missing = yield* Effect.flip(vaultWith({ TESSERA_ENV: "production" }))
      assert.include(String(missing.message), "TESSERA_INTEGRATION_KEY is required")
      const short = yield* Effect.flip(vaultWith({ TESSERA_ENV: "production", TESSERA_INTEGRATION_KEY: "c2hvcnQ=" }))
      assert.include(String(short.message), "32 bytes")
      const production = yield* vaultWith({ TESSERA_ENV: "production", TESSERA_INTEGRATION_KEY: KEY })
      assert.strictEqual((yield* production.open(yield* production.seal(credentials, binding), binding)).type, "basic")
    })
  )
})
