// Tests assert on responses; the runtime's JSON logs would only bury jest's report. A test that checks logging
// spies on the logger instead. Powertools reads these when observability.ts is first imported.
process.env.POWERTOOLS_LOG_LEVEL = process.env.POWERTOOLS_LOG_LEVEL ?? 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED = process.env.POWERTOOLS_METRICS_DISABLED ?? 'true';
