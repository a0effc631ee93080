/**
 * Studio's build: Preact components compiled by Vite (JSX via its built-in transform, no plugin),
 * everything bundled into dist/ with hashed assets under /studio/assets. No CDN, no web fonts: the
 * stack serves dist/ as it is, with no network at run time.
 */
import { defineConfig } from "vite"

export default defineConfig({
  base: "/studio/",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false, target: "es2022", chunkSizeWarningLimit: 400 },
  logLevel: "warn"
})
