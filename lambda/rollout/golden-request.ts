import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { GoldenRequest } from '../../contract/golden-set';
import { proxyEvent } from '../proxy-event';

/** The model version a golden set belongs to; its cases go to this version's infer route, never to a default. */
export interface GoldenTarget {
  readonly model: string;
  readonly version: string;
}

/** `golden set of penguins version 2`: how every message about a replay starts. */
export function goldenLabel(target: GoldenTarget): string {
  return `golden set of ${target.model} version ${target.version}`;
}

export function inferPath(target: GoldenTarget): string {
  return `/v2/models/${encodeURIComponent(target.model)}/versions/${encodeURIComponent(target.version)}/infer`;
}

/** A case's request body, exactly as a client would send it. */
export function goldenRequestBody(request: GoldenRequest): string {
  return JSON.stringify(request);
}

/**
 * The REST API proxy event API Gateway would send for `POST <path>` with a JSON body: the event shape the model
 * function serves, so invoking a function version with it checks the code path real traffic takes.
 */
export function goldenRequestEvent(path: string, body: string, stage = 'golden'): APIGatewayProxyEvent {
  return proxyEvent({
    method: 'POST',
    path,
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body,
    isBase64Encoded: false,
    stage,
    requestId: `golden-${Date.now()}`,
    userAgent: 'model-endpoint-golden-set',
  });
}
