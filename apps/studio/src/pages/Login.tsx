/** Sign-in: one click in development (the server mints an admin token), a pasted token anywhere. */
import { useEffect, useState } from "preact/hooks"
import { devLogin, session } from "../api.ts"

export const LoginPage = (props: { problem: string | null; onToken: (token: string) => void }) => {
  const [dev, setDev] = useState<boolean | null>(null)
  const [environment, setEnvironment] = useState("")
  const [pasted, setPasted] = useState("")
  const [problem, setProblem] = useState<string | null>(props.problem)

  useEffect(() => {
    session().then(
      (s) => {
        setDev(s.devLogin)
        setEnvironment(s.environment)
      },
      () => setDev(false)
    )
  }, [])

  return (
    <div class="login">
      <div class="login-card">
        <h1>
          Tessera <span>Studio</span>
        </h1>
        <p class="muted">The catalog, events in flight, consumers and their dead letters. Admins only.</p>
        {problem === null ? null : <p class="error">{problem}</p>}
        {dev === true ? (
          <button
            type="button"
            class="primary wide"
            onClick={() => devLogin().then(props.onToken, (error: unknown) => setProblem(String(error)))}
          >
            Development login (admin of “demo”)
          </button>
        ) : null}
        {dev === true ? <p class="muted small">Only offered when TESSERA_ENV=development ({environment}).</p> : null}
        <form
          onSubmit={(event) => {
            event.preventDefault()
            const token = pasted.trim().replace(/^Bearer\s+/i, "")
            if (token === "") setProblem("Paste a bearer token first.")
            else props.onToken(token)
          }}
        >
          <label for="token">Bearer token</label>
          <textarea
            id="token"
            rows={4}
            placeholder="eyJhbGciOiJIUzI1NiIs…"
            value={pasted}
            onInput={(event) => setPasted(event.currentTarget.value)}
          />
          <button type="submit" class={dev === true ? "wide" : "primary wide"}>
            Sign in with this token
          </button>
        </form>
      </div>
    </div>
  )
}
