/** The learning-journey (tracks, onboarding steps, progress) domain's contracts and event definitions: filled by its app issue. */
export {}
