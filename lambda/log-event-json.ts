/**
 * The JSON object a function wrote as one log line, read back from a CloudWatch Logs event's message (subscription
 * filters hand the shadow comparator and the capture writer such events), or why the message holds none. Lambda's
 * JSON log format passes a line that is a JSON object through as it is; a prefix before it (a timestamp and request
 * id in the text format) is skipped all the same.
 */
export function jsonInLogEvent(message: string): object | string {
  const start = message.indexOf('{');
  if (start < 0) return 'the log event holds no JSON object';
  let value: unknown;
  try {
    value = JSON.parse(message.slice(start));
  } catch (error) {
    return `the log event is not one JSON object (${(error as Error).message})`;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'the log event is not a JSON object';
  return value;
}
