// Imported first by the local server, before observability.ts creates Powertools' Metrics: CloudWatch's embedded
// metric format lines are only useful in Lambda, and locally they would bury the request log.
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
