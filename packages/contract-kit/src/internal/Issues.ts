/** Schema issues as flat `{ path, message }` entries: the `issues` of a 400 and catalog messages. */
import { SchemaIssue } from "effect"

export interface Issue {
  readonly path: ReadonlyArray<string | number>
  readonly message: string
}

const formatter = SchemaIssue.makeFormatterStandardSchemaV1()

const segment = (key: PropertyKey | { readonly key: PropertyKey }): string | number => {
  const value = typeof key === "object" ? key.key : key
  return typeof value === "number" ? value : String(value)
}

export const flatten = (issue: SchemaIssue.Issue): ReadonlyArray<Issue> =>
  formatter(issue).issues.map((entry) => ({ path: (entry.path ?? []).map(segment), message: entry.message }))

/** `title: Expected a string, got 3; extra: Unexpected key` */
export const describe = (issue: SchemaIssue.Issue): string =>
  flatten(issue)
    .map((entry) => (entry.path.length === 0 ? entry.message : `${entry.path.join(".")}: ${entry.message}`))
    .join("; ")
