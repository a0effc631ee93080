/**
 * Small SQL helpers shared by the CRM repositories.
 */

/** A `LIKE` pattern matching `text` anywhere, with `%`, `_` and `\` taken literally. */
export const containsPattern = (text: string): string => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
