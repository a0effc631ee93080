/**
 * Tessera Studio: the catalog, the live event tail, consumers and dead letters, and flows, over
 * the stack's admin contracts. Signs in with a bearer token (one click in development).
 */
import { render } from "preact"
import { useEffect, useState } from "preact/hooks"
import { ApiError, call, getToken, loadCatalog, setToken } from "./api.ts"
import { CatalogPage } from "./pages/Catalog.tsx"
import { ConsumersPage } from "./pages/Consumers.tsx"
import { FlowsPage } from "./pages/Flows.tsx"
import { GraphPage } from "./pages/Graph.tsx"
import { LivePage } from "./pages/Live.tsx"
import { LoginPage } from "./pages/Login.tsx"
import { Link, useRoute } from "./router.tsx"
import "./styles.css"
import type { Catalog } from "./types.ts"

const sections = [
  { to: "/catalog", label: "Catalog" },
  { to: "/graph", label: "Registry graph" },
  { to: "/events", label: "Live events" },
  { to: "/consumers", label: "Consumers" },
  { to: "/flows", label: "Flows" }
] as const

const App = () => {
  const [token, setSignedIn] = useState(getToken())
  const [catalog, setCatalog] = useState<Catalog | null>(null)
  const [problem, setProblem] = useState<string | null>(null)
  const route = useRoute()

  useEffect(() => {
    loadCatalog().then(setCatalog, (error: unknown) => setProblem(String(error)))
  }, [])

  // A stored token that no longer works (expired, another secret) sends the user back to sign in.
  useEffect(() => {
    if (token === null) return
    call("dispatch.consumer.list").catch((error: unknown) => {
      if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
        setToken(null)
        setSignedIn(null)
        setProblem(error.status === 403 ? "That token has no admin role." : "The token was refused; sign in again.")
      }
    })
  }, [token])

  if (token === null) {
    return (
      <LoginPage
        problem={problem}
        onToken={(value) => {
          setToken(value)
          setProblem(null)
          setSignedIn(value)
        }}
      />
    )
  }

  const section = route.path.split("/")[1] ?? ""
  const page = () => {
    if (catalog === null) return <p class="muted">{problem ?? "Loading the catalog…"}</p>
    switch (section) {
      case "graph":
        return <GraphPage catalog={catalog} />
      case "events":
        return <LivePage catalog={catalog} />
      case "consumers":
        return <ConsumersPage />
      case "flows":
        return <FlowsPage correlationId={decodeURIComponent(route.path.split("/")[2] ?? "")} />
      default:
        return <CatalogPage catalog={catalog} path={route.path} query={route.query} />
    }
  }
  return (
    <div class="shell">
      <header class="top">
        <Link to="/catalog" class="brand">
          Tessera <span>Studio</span>
        </Link>
        <nav>
          {sections.map((s) => (
            <Link
              key={s.to}
              to={s.to}
              class={`/${section}` === s.to || (section === "" && s.to === "/catalog") ? "active" : ""}
            >
              {s.label}
            </Link>
          ))}
        </nav>
        <div class="right">
          <a href="/docs">API docs</a>
          <button
            type="button"
            class="ghost"
            onClick={() => {
              setToken(null)
              setSignedIn(null)
            }}
          >
            Sign out
          </button>
        </div>
      </header>
      <main class="content">{page()}</main>
    </div>
  )
}

const root = document.getElementById("app")
if (root !== null) render(<App />, root)
