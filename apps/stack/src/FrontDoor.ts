/**
 * The stack's front door, mounted after every app: the landing page `/`, one OpenAPI document for
 * the whole stack at `/openapi.json` (operationId = contract key) with its Scalar page at `/docs`,
 * the catalog as JSON for Studio (`/catalog.json`: every contract with its schemas, errors, policy,
 * emitted events and acceptance, and the event registry), and Studio itself at `/studio` (the
 * bundle `apps/studio` builds into `dist/`, served from disk, no network at run time).
 *
 * Studio signs in with a bearer token. In development (`TESSERA_ENV=development`, the default)
 * `POST /studio/dev-login` mints an admin token of the demo organization server-side; anywhere else
 * it answers 403 and Studio asks for a pasted token. The per-app documents (`/crm/openapi.json`,
 * `/crm/docs`, …) stay where they are.
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import type { AnyContract } from "@tessera/contract-kit/Contract"
import * as ContractApi from "@tessera/contract-kit/ContractApi"
import { jsonCodec } from "@tessera/contract-kit/internal/Codec"
import { errorInfo } from "@tessera/contract-kit/internal/ErrorInfo"
import * as App from "@tessera/contract-server/App"
import { Auth, type AuthShape } from "@tessera/contract-server/Auth"
import type * as Registry from "@tessera/envelope/Registry"
import * as RegistryExport from "@tessera/envelope/RegistryExport"
import { Effect, Layer, Option, Schema } from "effect"
import { HttpPlatform, HttpRouter, HttpServerRequest, HttpServerResponse } from "effect/http"
import { HttpApiScalar, OpenApi } from "effect/http-api"

/** A mounted domain as the front door lists it. */
export interface Domain {
  readonly domain: string
  readonly name: string
  readonly contracts: ReadonlyArray<AnyContract>
  /** Its own OpenAPI document and docs page. */
  readonly openapiPath: string
  readonly docsPath: string
}

/** What the front door lists of each mounted app that serves contracts: its own documents by convention. */
export const domainsOf = (apps: ReadonlyArray<App.App>): ReadonlyArray<Domain> =>
  apps
    .filter((app) => app.contracts.length > 0)
    .map((app) => ({
      domain: app.domain,
      name: app.name,
      contracts: app.contracts,
      openapiPath: `/${app.domain}/openapi.json`,
      docsPath: `/${app.domain}/docs`
    }))

export interface Options {
  readonly domains: ReadonlyArray<Domain>
  readonly registry: Registry.Registry
  /** Where Studio's built bundle is (default: `apps/studio/dist`, or `TESSERA_STUDIO_DIR`). */
  readonly studioDir?: string | undefined
}

/** The organization the development login signs in to: the one `pnpm seed` fills. */
export const DEV_ORGANIZATION = "demo"
export const DEV_USER = "studio-dev-admin"

const defaultStudioDir = () =>
  process.env.TESSERA_STUDIO_DIR ?? Path.resolve(import.meta.dirname, "..", "..", "studio", "dist")

/** A path item's operations, each tagged with its contract's domain (Scalar groups by tag). */
const tagByDomain = (paths: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(
    Object.entries(paths).map(([path, item]) => [
      path,
      typeof item === "object" && item !== null
        ? Object.fromEntries(
            Object.entries(item).map(([method, operation]) => {
              if (typeof operation !== "object" || operation === null || !("operationId" in operation)) {
                return [method, operation]
              }
              const domain = String(operation.operationId).split(".")[0] ?? "tessera"
              return [method, { ...operation, tags: [domain] }]
            })
          )
        : item
    ])
  )

/**
 * One HttpApi over every domain's contracts: what `/openapi.json` and `/docs` describe. One group
 * (an API's groups cannot be added up over a list under the compiler), its operations tagged by
 * domain.
 */
export const mergedApi = (domains: ReadonlyArray<Domain>) =>
  ContractApi.make(
    "tessera",
    domains.flatMap((domain) => domain.contracts)
  ).annotateMerge(
    OpenApi.annotations({
      title: "Tessera",
      version: "1.0.0",
      description: `Every operation of the stack (${domains.map((d) => d.domain).join(", ")}). Each endpoint is one contract; operationId is the contract key. Per-domain documents: ${domains.map((d) => d.openapiPath).join(", ")}.`,
      // `lintReady`: the server, license and tidy schemas `redocly lint` asks for (this transform
      // replaces the one `ContractApi.make` set).
      transform: (spec) => ({
        ...ContractApi.lintReady({ ...spec, paths: tagByDomain(spec.paths) }),
        tags: domains.map((domain) => ({ name: domain.domain, description: domain.name })),
        components: {
          ...ContractApi.lintReady(spec).components,
          securitySchemes: {
            ...spec.components?.securitySchemes,
            bearer: {
              type: "http",
              scheme: "bearer",
              bearerFormat: "JWT",
              description: "HS256 JWT: sub = user id, org = organization id, roles = string[]"
            }
          }
        }
      })
    })
  )

const jsonSchema = (schema: AnyContract["input"]) => Schema.toJsonSchemaDocument(jsonCodec(schema))

/** The catalog as Studio reads it. */
export const catalogJson = (options: Pick<Options, "domains" | "registry">) => ({
  domains: options.domains.map((domain) => ({
    domain: domain.domain,
    name: domain.name,
    openapiPath: domain.openapiPath,
    docsPath: domain.docsPath,
    contracts: domain.contracts.map((contract) => ({
      key: contract.key,
      kind: contract.kind,
      version: contract.version,
      meta: contract.meta,
      policy: contract.policy,
      http: contract.http,
      idempotent: contract.idempotent,
      audit: contract.audit,
      input: jsonSchema(contract.input),
      output: jsonSchema(contract.output),
      errors: contract.errors.map((error) => {
        const info = errorInfo(error)
        return {
          tag: info.tag,
          code: info.code,
          status: info.status ?? 500,
          title: info.title,
          when: info.description ?? null
        }
      }),
      emits: contract.emits.map(({ event, when }) => ({ type: event.type, version: event.version, when })),
      acceptance: contract.acceptance
    }))
  })),
  events: RegistryExport.toJson(options.registry)
})

const escapeHtml = (text: string) =>
  text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;")

/** The landing page. */
export const landingPage = (domains: ReadonlyArray<Domain>) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tessera</title>
<style>
  body { font: 15px/1.5 system-ui, sans-serif; margin: 0; color: #1d2433; background: #f6f7fb; }
  main { max-width: 880px; margin: 0 auto; padding: 40px 24px; }
  h1 { margin: 0 0 4px; font-size: 28px; } p.lead { margin: 0 0 28px; color: #5b6478; }
  .cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(250px, 1fr)); gap: 14px; }
  .card { background: #fff; border: 1px solid #e2e5ee; border-radius: 10px; padding: 16px 18px; }
  .card h2 { font-size: 16px; margin: 0 0 6px; } .card p { margin: 0 0 10px; color: #5b6478; font-size: 13px; }
  a { color: #3451d1; text-decoration: none; } a:hover { text-decoration: underline; }
  .links a { margin-right: 12px; font-size: 14px; }
  .primary { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); gap: 14px; margin-bottom: 28px; }
  .primary a { display: block; background: #3451d1; color: #fff; border-radius: 10px; padding: 16px 18px; font-weight: 600; }
  .primary a span { display: block; font-weight: 400; font-size: 13px; opacity: .85; }
  code { background: #eef0f6; padding: 1px 5px; border-radius: 4px; }
</style>
</head>
<body><main>
<h1>Tessera</h1>
<p class="lead">Example domain apps on the Effect runtime, talking through a transactional event dispatcher on Postgres.</p>
<div class="primary">
  <a href="/studio/">Studio<span>Catalog, live events, consumers, flows</span></a>
  <a href="/docs">API reference<span>Every contract of the stack (Scalar)</span></a>
  <a href="/openapi.json">OpenAPI<span>One document, operationId = contract key</span></a>
  <a href="/health">Health<span>Database and mounted apps</span></a>
</div>
<h2 style="font-size:18px">Mounted domains</h2>
<div class="cards">
${domains
  .map(
    (domain) => `  <div class="card"><h2>${escapeHtml(domain.name)} <code>${escapeHtml(domain.domain)}</code></h2>
    <p>${domain.contracts.length} contracts</p>
    <div class="links"><a href="${escapeHtml(domain.docsPath)}">Docs</a><a href="${escapeHtml(domain.openapiPath)}">OpenAPI</a><a href="/studio/catalog?domain=${encodeURIComponent(domain.domain)}">In Studio</a></div></div>`
  )
  .join("\n")}
</div>
<p style="margin-top:28px;color:#5b6478;font-size:13px">Call the API with a bearer token: <code>pnpm --filter @tessera/contract-server dev-token --org demo --roles admin</code> (development only), or sign in to Studio.</p>
</main></body></html>`

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".json": "application/json",
  ".ico": "image/x-icon",
  ".png": "image/png",
  ".woff2": "font/woff2"
}

const notBuilt = HttpServerResponse.text(
  `<!doctype html><meta charset="utf-8"><title>Studio is not built</title><body style="font:15px system-ui;padding:40px">
<h1>Studio is not built</h1><p>Run <code>pnpm --filter @tessera/studio build</code> (or <code>npm start</code>, which builds it when its sources changed), then reload.</p>`,
  { status: 503, contentType: "text/html; charset=utf-8" }
)

/** Studio's files: a built asset when it exists, `index.html` for every other path (client routing). */
const studioRoute = (studioDir: string, platform: HttpPlatform.HttpPlatform["Service"]) =>
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const url = HttpServerRequest.toURL(request)
    const pathname = Option.isSome(url) ? decodeURIComponent(url.value.pathname) : "/studio/"
    const relative = pathname.replace(/^\/studio\/?/, "")
    const candidate = Path.resolve(studioDir, relative)
    const inside = candidate.startsWith(`${studioDir}${Path.sep}`)
    const index = Path.join(studioDir, "index.html")
    if (!Fs.existsSync(index)) return notBuilt
    const isAsset = inside && relative !== "" && Fs.existsSync(candidate) && Fs.statSync(candidate).isFile()
    const file = isAsset ? candidate : index
    const contentType = CONTENT_TYPES[Path.extname(file)] ?? "application/octet-stream"
    const immutable = isAsset && relative.startsWith("assets/")
    return yield* platform
      .fileResponse(file, {
        contentType,
        headers: { "cache-control": immutable ? "public, max-age=31536000, immutable" : "no-cache" }
      })
      .pipe(Effect.orDie)
  })

const devLogin = (auth: AuthShape) =>
  Effect.gen(function* () {
    if (auth.environment !== "development") {
      return HttpServerResponse.jsonUnsafe(
        {
          type: "about:blank",
          title: "Development login is disabled",
          status: 403,
          code: "DEV_LOGIN_DISABLED",
          detail: "Only when TESSERA_ENV=development: paste a bearer token instead"
        },
        { status: 403, contentType: "application/problem+json" }
      )
    }
    const principal = { userId: DEV_USER, organizationId: DEV_ORGANIZATION, roles: ["admin"] }
    const token = yield* auth.mint(principal, { expiresIn: "12 hours" })
    return HttpServerResponse.jsonUnsafe({ token, ...principal }, { headers: { "cache-control": "no-store" } })
  })

const session = (auth: AuthShape) =>
  HttpServerResponse.jsonUnsafe(
    { environment: auth.environment, devLogin: auth.environment === "development" },
    { headers: { "cache-control": "no-store" } }
  )

export const routes = (options: Options) => {
  const api = mergedApi(options.domains)
  const studioDir = Path.resolve(options.studioDir ?? defaultStudioDir())
  const catalog = catalogJson(options)
  const landing = landingPage(options.domains)
  const pages = HttpRouter.use(
    Effect.fn(function* (router) {
      const auth = yield* Auth
      const platform = yield* HttpPlatform.HttpPlatform
      const openapi = OpenApi.fromApi(api)
      yield* router.add("GET", "/", HttpServerResponse.html(landing))
      yield* router.add("GET", "/openapi.json", HttpServerResponse.jsonUnsafe(openapi))
      yield* router.add("GET", "/catalog.json", HttpServerResponse.jsonUnsafe(catalog))
      yield* router.add(
        "GET",
        "/studio/session.json",
        Effect.sync(() => session(auth))
      )
      yield* router.add("POST", "/studio/dev-login", devLogin(auth))
      yield* router.add("GET", "/studio/*", studioRoute(studioDir, platform))
    })
  )
  return Layer.mergeAll(pages, HttpApiScalar.layer(api, { path: "/docs", scalar: { withDefaultFonts: false } }))
}

/** The front door as an app: no schema, no workers, only routes. */
export const make = (options: Options) =>
  App.make({
    domain: "studio",
    name: "Studio and the front door",
    port: 3000,
    catalog: [],
    migrations: Layer.empty,
    routes: routes(options)
  })
