// Imported first by the local server, before observability.ts creates Powertools' Metrics: CloudWatch's embedded
// metric format lines are only useful in Lambda, and locally they would bury the request log.
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
// The runtime's only INFO line is its JSON "model loaded", which the local server prints in plain words instead;
// warnings and errors (a failed load, a failed request) still come through. POWERTOOLS_LOG_LEVEL=INFO brings it back.
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
