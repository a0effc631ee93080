/**
 * Each mounted app's own `main.ts`, by domain: how a test runs the apps as separate processes
 * (`StackTest.make({ apps: Stack.apps, mains, … })` with `TESSERA_TEST_MODE=processes`). Mount an
 * app in `Stack.ts`: add its `main.ts` here too (a test checks every app has one).
 */
export const mains: Readonly<Record<string, URL>> = {
  crm: new URL("../../crm/src/main.ts", import.meta.url),
  learning: new URL("../../learning-journey/src/main.ts", import.meta.url),
  service: new URL("../../service-business/src/main.ts", import.meta.url),
  integration: new URL("../../integration-hub/src/main.ts", import.meta.url),
  dispatch: new URL("../../operations/src/main.ts", import.meta.url)
}
