/**
 * Credentials at rest: AES-256-GCM (node:crypto) with a 32-byte key from `TESSERA_INTEGRATION_KEY`
 * (base64), read as `Config.Redacted`. Without it a development key is used, refused when
 * `TESSERA_ENV=production`. Each ciphertext is bound to its organization and connection (the
 * GCM additional data), so a row copied elsewhere does not decrypt. Stored as
 * `v1:<base64(iv | tag | ciphertext)>`; the plain secrets exist only as `Redacted` values.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto"
import { Credentials } from "@tessera/contracts/integration-hub/Connections"
import { Config, Context, Data, Effect, Layer, Option, Redacted, Schema } from "effect"

export class VaultConfigError extends Data.TaggedError("VaultConfigError")<{ readonly message: string }> {}

/** A stored secret that does not decrypt (wrong key, tampered row): a defect, never shown. */
export class VaultError extends Data.TaggedError("VaultError")<{ readonly message: string }> {}

const DEV_KEY = createHash("sha256").update("tessera-development-integration-key").digest()

const CredentialsJson = Schema.fromJsonString(Credentials)
const encodeCredentials = Schema.encodeEffect(CredentialsJson)
const decodeCredentials = Schema.decodeUnknownEffect(CredentialsJson)

export interface Binding {
  readonly organizationId: string
  readonly connectionId: string
}

const aad = (binding: Binding) => Buffer.from(`${binding.organizationId}\u0000${binding.connectionId}`, "utf8")

export class CredentialVault extends Context.Service<
  CredentialVault,
  {
    readonly seal: (credentials: Credentials, binding: Binding) => Effect.Effect<string>
    readonly open: (sealed: string, binding: Binding) => Effect.Effect<Credentials, VaultError>
  }
>()("@tessera/integration-hub/CredentialVault") {
  static readonly make = (key: Redacted.Redacted<Buffer>) =>
    CredentialVault.of({
      seal: (credentials, binding) =>
        Effect.map(Effect.orDie(encodeCredentials(credentials)), (plain) => {
          const iv = randomBytes(12)
          const cipher = createCipheriv("aes-256-gcm", Redacted.value(key), iv)
          cipher.setAAD(aad(binding))
          const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()])
          return `v1:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64")}`
        }),
      open: (sealed, binding) =>
        Effect.gen(function* () {
          if (!sealed.startsWith("v1:")) return yield* new VaultError({ message: "unknown credential format" })
          const raw = Buffer.from(sealed.slice(3), "base64")
          const plain = yield* Effect.try({
            try: () => {
              const decipher = createDecipheriv("aes-256-gcm", Redacted.value(key), raw.subarray(0, 12))
              decipher.setAAD(aad(binding))
              decipher.setAuthTag(raw.subarray(12, 28))
              return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8")
            },
            catch: () => new VaultError({ message: "the stored credentials do not decrypt with the configured key" })
          })
          return yield* decodeCredentials(plain).pipe(
            Effect.mapError(() => new VaultError({ message: "the stored credentials are not valid" }))
          )
        })
    })

  /** The key from `TESSERA_INTEGRATION_KEY`, or the development key outside production. */
  static readonly layer = Layer.effect(
    CredentialVault,
    Effect.gen(function* () {
      const environment = yield* Config.Literals(["development", "test", "production"], "TESSERA_ENV").pipe(
        Config.withDefault("development" as const)
      )
      const configured = yield* Config.option(Config.Redacted("TESSERA_INTEGRATION_KEY"))
      if (Option.isNone(configured)) {
        if (environment === "production") {
          return yield* new VaultConfigError({
            message: "TESSERA_INTEGRATION_KEY is required when TESSERA_ENV=production"
          })
        }
        return CredentialVault.make(Redacted.make(DEV_KEY))
      }
      const key = Buffer.from(Redacted.value(configured.value).trim(), "base64")
      if (key.length !== 32) {
        return yield* new VaultConfigError({ message: "TESSERA_INTEGRATION_KEY must be 32 bytes, base64-encoded" })
      }
      if (environment === "production" && key.equals(DEV_KEY)) {
        return yield* new VaultConfigError({
          message: "TESSERA_INTEGRATION_KEY is the development key, refused in production"
        })
      }
      return CredentialVault.make(Redacted.make(key))
    })
  )
}
