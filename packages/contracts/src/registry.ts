/** The event registry: every event type with its producer, consumers, owning contract and versions (filled as the domains land). */
export {}
