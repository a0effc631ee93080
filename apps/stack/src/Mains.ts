/**
 * Each mounted app's own `main.ts`, by domain (every `App` names its `main`): how a test runs the
 * apps as separate processes (`StackTest.make({ apps: Stack.apps, mains, … })` with
 * `TESSERA_TEST_MODE=processes`).
 */
export { mains } from "./Stack.ts"
