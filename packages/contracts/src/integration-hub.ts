/** The integration-hub (connections, sync configurations, runs) domain's contracts and event definitions: filled by its app issue. */
export {}
