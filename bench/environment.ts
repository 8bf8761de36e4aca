// Imported first by run.ts, before any lambda/ module creates Powertools' Logger and Metrics: the in-process handler
// bench would otherwise print an EMF metric line per call into the table's output. The cost of that line is Lambda's
// (stdout to CloudWatch), not the serving code's, and the local twin disables it the same way.
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
