/**
 * The OpenAPI 3.1 document of the HTTP API, generated from the route table and the JSON schemas. It describes the
 * generic `/v2/models/{model}/...` paths that every deployment serves, whatever its models. `npm run openapi` writes
 * it to openapi.json, and the runtime serves it at `GET /v2/openapi.json`.
 */
import {
  type ErrorStatus,
  expandPath,
  HTTP_API_VERSION,
  type HttpRoute,
  PATH_PARAMETERS,
  pathParameters,
  ROUTES,
} from './http-api';
import { SCHEMAS, type SchemaName } from './json-schemas';
import { BINARY_MEDIA_TYPE, MAX_BINARY_BODY_BYTES, MAX_EVENT_BODY_BYTES } from './limits';

type JsonObject = { readonly [key: string]: unknown };

const INFERENCE_HEADER_CONTENT_LENGTH = 'Inference-Header-Content-Length';

const schemaRef = (name: SchemaName): JsonObject => ({ $ref: `#/components/schemas/${name}` });
const jsonContent = (name: SchemaName): JsonObject => ({ 'application/json': { schema: schemaRef(name) } });

const ERROR_RESPONSES: Readonly<Record<ErrorStatus | 403 | 405 | 500, { name: string; description: string }>> = {
  400: {
    name: 'BadRequest',
    description: 'A malformed request or one that does not match the model: input name, datatype, shape or data.',
  },
  403: {
    name: 'Forbidden',
    description: 'The deployed API refused the credentials (the local server needs none).',
  },
  404: { name: 'NotFound', description: 'An unknown model, version or path.' },
  405: {
    name: 'MethodNotAllowed',
    description: 'A verb the path does not take; the Allow header lists the one it does.',
  },
  413: {
    name: 'PayloadTooLarge',
    description: `A body that does not fit in Lambda's 6 MB request event: at most ${MAX_BINARY_BODY_BYTES} bytes for a binary body (API Gateway base64-encodes it), ${MAX_EVENT_BODY_BYTES} for JSON.`,
  },
  500: {
    name: 'InternalError',
    description: 'Anything unexpected; the message gives a request id, details go to the log.',
  },
  503: {
    name: 'ServiceUnavailable',
    description: 'The model cannot be loaded now; Retry-After gives the seconds until the runtime tries again.',
  },
};

const HEADERS: Readonly<Record<string, JsonObject>> = {
  Allow: { description: 'The verb the path takes.', schema: { type: 'string' } },
  'Retry-After': {
    description: 'Seconds until the runtime tries to load the model again.',
    schema: { type: 'integer' },
  },
  [INFERENCE_HEADER_CONTENT_LENGTH]: {
    description: 'The byte length of the JSON header at the start of an application/octet-stream body.',
    schema: { type: 'integer', minimum: 1 },
  },
};

// A Media Type Object has no description of its own, so the body's layout is described by its schema.
const binarySchema = (description: string): JsonObject => ({
  type: 'string',
  contentMediaType: BINARY_MEDIA_TYPE,
  description,
});

const headerRef = (name: string): JsonObject => ({ $ref: `#/components/headers/${name}` });

function errorResponse(status: ErrorStatus | 403 | 405 | 500): JsonObject {
  const { description } = ERROR_RESPONSES[status];
  const headers =
    status === 405 ? { Allow: headerRef('Allow') } : status === 503 ? { 'Retry-After': headerRef('Retry-After') } : {};
  return { description, ...(Object.keys(headers).length > 0 && { headers }), content: jsonContent('Error') };
}

function okResponse(route: HttpRoute): JsonObject {
  if (route.response === undefined) {
    return {
      description: route.summary,
      content: { 'application/json': { schema: { type: 'object', description: 'An OpenAPI 3.1 document.' } } },
    };
  }
  const content = route.binaryTensorData
    ? {
        ...jsonContent(route.response),
        [BINARY_MEDIA_TYPE]: {
          schema: binarySchema(
            'When an output asks for binary data and the request sends Accept: application/octet-stream: the JSON ' +
              'header (an InferResponse whose binary outputs carry parameters.binary_data_size instead of data), then ' +
              'those outputs as raw little-endian bytes in the order the header lists them.',
          ),
        },
      }
    : jsonContent(route.response);
  return {
    description: route.summary,
    ...(route.binaryTensorData && {
      headers: { [INFERENCE_HEADER_CONTENT_LENGTH]: headerRef(INFERENCE_HEADER_CONTENT_LENGTH) },
    }),
    content,
  };
}

function responses(route: HttpRoute): JsonObject {
  const answers: Record<string, JsonObject> = { '200': okResponse(route) };
  for (const status of [...route.errors, 403, 405, 500] as const) {
    answers[String(status)] =
      status === 503 && route.notReady !== undefined
        ? { description: 'Not ready.', content: jsonContent(route.notReady) }
        : { $ref: `#/components/responses/${ERROR_RESPONSES[status].name}` };
  }
  return Object.fromEntries(Object.entries(answers).sort(([a], [b]) => a.localeCompare(b)));
}

function requestBody(route: HttpRoute): JsonObject | undefined {
  if (route.request === undefined) return undefined;
  const binary = {
    schema: binarySchema(
      'The binary tensor data extension: a JSON header (an InferRequest whose binary inputs carry ' +
        'parameters.binary_data_size instead of data), then those inputs as raw little-endian, row-major bytes in ' +
        'the order the header lists them; the Inference-Header-Content-Length header gives the JSON header length.',
    ),
  };
  const json = jsonContent(route.request);
  return { required: true, content: route.binaryTensorData ? { ...json, [BINARY_MEDIA_TYPE]: binary } : json };
}

function operation(route: HttpRoute, path: string, versioned: boolean): JsonObject {
  const parameters: JsonObject[] = pathParameters(path).map((name) => ({ $ref: `#/components/parameters/${name}` }));
  if (route.binaryTensorData) parameters.push({ $ref: `#/components/parameters/${INFERENCE_HEADER_CONTENT_LENGTH}` });
  const body = requestBody(route);
  return {
    operationId: versioned ? `${route.operation}ForVersion` : route.operation,
    summary: versioned ? `${route.summary} (one version)` : route.summary,
    ...(parameters.length > 0 && { parameters }),
    ...(body !== undefined && { requestBody: body }),
    responses: responses(route),
  };
}

function paths(): JsonObject {
  const items: Record<string, Record<string, JsonObject>> = {};
  for (const route of ROUTES) {
    expandPath(route.path).forEach((path, index) => {
      items[path] = { ...items[path], [route.method.toLowerCase()]: operation(route, path, index > 0) };
    });
  }
  return items;
}

export function openApiDocument(): JsonObject {
  return {
    openapi: '3.1.0',
    info: {
      title: 'model-endpoint',
      version: HTTP_API_VERSION,
      summary: 'ONNX models behind the Open Inference Protocol (KServe v2) REST API.',
      description:
        'Every error is an HTTP error status with {"error": "<what was wrong and what was expected>"}. Models, ' +
        'versions and their inputs are those the server holds: GET /v2/models/{model} describes each.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [
      { url: 'http://localhost:8080', description: 'The local server (npm start).' },
      {
        url: 'https://{restApiId}.execute-api.{region}.amazonaws.com/{stage}',
        description: "The deployed API: the stack's ApiUrl output.",
        variables: {
          restApiId: { default: 'example', description: 'The REST API id.' },
          region: { default: 'us-east-1', description: 'The AWS region of the stack.' },
          stage: { default: 'prod', description: 'The stage name.' },
        },
      },
    ],
    // One of these, as the stack's auth setting chooses.
    security: [{ apiKey: [] }, { iam: [] }, { cognito: [] }],
    paths: paths(),
    components: {
      schemas: SCHEMAS,
      parameters: {
        model: pathParameter('model'),
        version: pathParameter('version'),
        [INFERENCE_HEADER_CONTENT_LENGTH]: {
          name: INFERENCE_HEADER_CONTENT_LENGTH,
          in: 'header',
          required: false,
          description: 'Required with an application/octet-stream body: the byte length of its JSON header.',
          schema: { type: 'integer', minimum: 1 },
        },
      },
      headers: HEADERS,
      responses: Object.fromEntries(
        ([400, 403, 404, 405, 413, 500, 503] as const).map((status) => [
          ERROR_RESPONSES[status].name,
          errorResponse(status),
        ]),
      ),
      securitySchemes: {
        apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key', description: 'auth "apiKey" (the default).' },
        iam: {
          type: 'apiKey',
          in: 'header',
          name: 'Authorization',
          description: 'auth "iam": AWS Signature Version 4 (service execute-api).',
        },
        cognito: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'auth "cognito": an ID token of the stack\'s user pool.',
        },
      },
    },
  };
}

function pathParameter(name: 'model' | 'version'): JsonObject {
  const parameter = PATH_PARAMETERS[name];
  return {
    name,
    in: 'path',
    required: true,
    description: parameter.description,
    schema: { type: 'string', pattern: parameter.pattern.source },
  };
}

/** Where `npm run openapi` writes the document, relative to the repository root. */
export const OPENAPI_FILE = 'openapi.json';
