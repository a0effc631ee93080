/**
 * Invoice numbers: `INV-<year>-<sequence>`, the sequence per organization and year, zero-padded
 * to four digits (and longer past 9999). Pure; the sequence itself comes from the counter row
 * the issuing transaction locks (see `InvoiceRepository.nextSequence`).
 */
export const formatNumber = (year: number, sequence: number): string =>
  `INV-${year}-${String(sequence).padStart(4, "0")}`

/** The UTC year of an instant: invoices are numbered by the year they are issued in. */
export const yearOf = (at: Date): number => at.getUTCFullYear()

/** The calendar date `days` after `at` (UTC), `YYYY-MM-DD`. */
export const dateAfter = (at: Date, days: number): string =>
  new Date(at.getTime() + days * 86_400_000).toISOString().slice(0, 10)
