// Imported first by the SageMaker container entry point, before observability.ts creates Powertools' Metrics:
// SageMaker ships a container's stdout to CloudWatch Logs as plain lines, so embedded metric format records would
// never become metrics there. The forwarder function in front of the endpoint records the model's metrics instead.
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
