/** Small display helpers. */
export const time = (iso: string) => {
  const date = new Date(iso)
  return `${date.toLocaleTimeString([], { hour12: false })}.${String(date.getMilliseconds()).padStart(3, "0")}`
}

export const millis = (value: number | null) =>
  value === null ? "—" : value < 1000 ? `${Math.round(value)} ms` : `${(value / 1000).toFixed(1)} s`

export const json = (value: unknown) => JSON.stringify(value, null, 2)
