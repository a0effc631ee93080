/** The CRM (deals, contacts, pipeline) domain's contracts and event definitions: filled by its app issue. */
export {}
