/** The service-business (clients, jobs, scheduling) domain's contracts and event definitions: filled by its app issue. */
export {}
