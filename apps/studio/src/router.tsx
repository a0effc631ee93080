/** A small history router under `/studio`: `useRoute()` gives the path after it and the query. */
import type { ComponentChildren } from "preact"
import { useEffect, useState } from "preact/hooks"

const BASE = "/studio"

const current = () => ({
  path: window.location.pathname.replace(/^\/studio/, "") || "/",
  query: new URLSearchParams(window.location.search)
})

const listeners = new Set<() => void>()
window.addEventListener("popstate", () => {
  for (const listener of listeners) listener()
})

export const navigate = (to: string) => {
  window.history.pushState(null, "", `${BASE}${to}`)
  for (const listener of listeners) listener()
}

export const useRoute = () => {
  const [route, setRoute] = useState(current)
  useEffect(() => {
    const listener = () => setRoute(current())
    listeners.add(listener)
    return () => {
      listeners.delete(listener)
    }
  }, [])
  return route
}

export const Link = (props: { to: string; class?: string; children: ComponentChildren; title?: string }) => (
  <a
    href={`${BASE}${props.to}`}
    class={props.class}
    title={props.title}
    onClick={(event) => {
      if (event.metaKey || event.ctrlKey || event.button !== 0) return
      event.preventDefault()
      navigate(props.to)
    }}
  >
    {props.children}
  </a>
)
