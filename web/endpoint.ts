import type { ModelDescriptor } from '../contract/model-descriptor';
import type { InferResponse } from '../lambda/protocol/infer-response';
import { EdgeInferenceError } from './edge-error';

/** The deployed API to answer from when the model cannot run on the device. */
export interface EndpointOptions {
  /** The API's base URL, stage included (the stack's ApiUrl output), or the local twin's `http://127.0.0.1:8080`. */
  readonly fallbackUrl: string;
  /** Sent with every request: `x-api-key`, or `Authorization` with a Cognito token. */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * The same request body, sent to the version the bundle was exported from, so that the answer comes from the same
 * model. A refusal is thrown with the API's status and its `error` message, as the device path throws its own.
 */
export async function inferOnEndpoint(
  endpoint: EndpointOptions,
  descriptor: ModelDescriptor,
  request: unknown,
): Promise<InferResponse> {
  const base = endpoint.fallbackUrl.replace(/\/+$/, '');
  const url = `${base}/v2/models/${encodeURIComponent(descriptor.name)}/versions/${encodeURIComponent(descriptor.version)}/infer`;
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { ...endpoint.headers, 'content-type': 'application/json' },
      body: JSON.stringify(request),
    });
  } catch (error) {
    throw new EdgeInferenceError(`cannot reach the endpoint ${url}: ${(error as Error).message}`, 0);
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    const message = (body as { error?: unknown } | undefined)?.error;
    throw new EdgeInferenceError(
      typeof message === 'string' ? message : `the endpoint answered ${response.status}: ${text.slice(0, 200)}`,
      response.status,
    );
  }
  if (body === undefined) {
    throw new EdgeInferenceError(`the endpoint answered ${response.status} with a body that is not JSON`, 502);
  }
  return body as InferResponse;
}
