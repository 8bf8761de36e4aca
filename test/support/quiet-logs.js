// Tests assert on responses; the runtime's JSON logs would only bury jest's report. A test that checks logging
// spies on the logger instead. Powertools reads these when observability.ts is first imported.
process.env.POWERTOOLS_LOG_LEVEL = process.env.POWERTOOLS_LOG_LEVEL ?? 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED = process.env.POWERTOOLS_METRICS_DISABLED ?? 'true';

// The AWS SDK warns once per module registry, so once in every test file that loads it, that its 2027 releases will need Node.js 22.
// Its own switch turns that off (@aws-sdk/core, emitWarningIfUnsupportedVersion); the project supports Node.js 20.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED =
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ?? 'true';
