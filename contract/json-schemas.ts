/**
 * The JSON bodies of the HTTP API as JSON Schemas: the API Gateway request models validate requests against them
 * (draft 4) and the OpenAPI document describes them (draft 2020-12). They use only the keywords both drafts read the
 * same way, and no `$ref`, which API Gateway models resolve only as full model URLs.
 *
 * Request schemas are deliberately loose where the runtime checks more: what API Gateway refuses gets its one generic
 * message, what the runtime refuses gets a message naming the input and what the model expects.
 */
import { DATATYPES } from './datatypes';
import { MAX_TENSOR_RANK } from './limits';

export type JsonSchemaType = 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';

export interface JsonSchema {
  readonly type?: JsonSchemaType;
  readonly title?: string;
  readonly description?: string;
  readonly required?: readonly string[];
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly items?: JsonSchema;
  readonly enum?: readonly string[];
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly minimum?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
}

const SHAPE: JsonSchema = {
  type: 'array',
  description: 'The size of each dimension, outermost first.',
  items: { type: 'integer', minimum: 0 },
};

/** A request's shape: at most MAX_TENSOR_RANK dimensions, which the runtime also checks. */
const REQUEST_SHAPE: JsonSchema = { ...SHAPE, maxItems: MAX_TENSOR_RANK };

// The protocol's $parameters. The value rule is in the description only: a schema for it needs `additionalProperties`
// with a list of types, which the shared subset above leaves out, and the runtime refuses other values by name.
const PARAMETER_VALUES = 'Each value is a string, a number or a boolean.';

const DATATYPE: JsonSchema = { type: 'string', enum: [...DATATYPES] };

const DATA: JsonSchema = {
  description:
    'The elements, row-major, as a flat or nested array: numbers for numeric types (INT64 and UINT64 beyond ' +
    '2^53 - 1 as decimal strings), true/false for BOOL, strings for BYTES, "NaN", "Infinity", "-Infinity" for floats. ' +
    'BYTES strings travel to the model as UTF-8 text: a NUL character (U+0000) or a lone UTF-16 surrogate is refused.',
};

const INFER_REQUEST: JsonSchema = {
  title: 'InferRequest',
  description: 'Open Inference Protocol inference request',
  type: 'object',
  required: ['inputs'],
  properties: {
    id: { type: 'string', description: 'Echoed in the response.' },
    parameters: {
      type: 'object',
      description: `${PARAMETER_VALUES} "binary_data_output": true asks for every output as binary tensor data; others are ignored.`,
    },
    inputs: {
      type: 'array',
      description:
        "One tensor per model input (see the model's metadata for names, datatypes and shapes); [] for a model without inputs.",
      items: {
        type: 'object',
        required: ['name', 'shape', 'datatype', 'data'],
        properties: {
          name: { type: 'string' },
          shape: REQUEST_SHAPE,
          datatype: DATATYPE,
          parameters: {
            type: 'object',
            description:
              `${PARAMETER_VALUES} With the binary tensor data extension, "binary_data_size": <bytes> replaces ` +
              '"data" (in the JSON header of an application/octet-stream body only).',
          },
          data: DATA,
        },
      },
    },
    outputs: {
      type: 'array',
      description: 'The outputs to return, every output when absent.',
      items: {
        type: 'object',
        required: ['name'],
        properties: {
          name: { type: 'string' },
          parameters: {
            type: 'object',
            description: `${PARAMETER_VALUES} "binary_data": true returns this output as binary tensor data.`,
          },
        },
      },
    },
  },
};

const INFER_RESPONSE: JsonSchema = {
  title: 'InferResponse',
  type: 'object',
  required: ['model_name', 'model_version', 'outputs'],
  properties: {
    model_name: { type: 'string' },
    model_version: { type: 'string' },
    id: { type: 'string', description: "The request's id, when it had one." },
    outputs: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'shape', 'datatype'],
        properties: {
          name: { type: 'string' },
          shape: SHAPE,
          datatype: DATATYPE,
          parameters: {
            type: 'object',
            description:
              '"binary_data_size": <bytes> for an output sent as binary tensor data, which then has no "data".',
          },
          data: DATA,
        },
      },
    },
  },
};

const PREDICT_REQUEST: JsonSchema = {
  title: 'PredictRequest',
  description: 'KServe v1 predict request',
  type: 'object',
  required: ['instances'],
  properties: {
    instances: {
      type: 'array',
      minItems: 1,
      description: "Rows of the model's single input; the row shape is the input's shape without its batch dimension.",
    },
  },
};

const PREDICT_RESPONSE: JsonSchema = {
  title: 'PredictResponse',
  type: 'object',
  required: ['predictions'],
  properties: {
    predictions: {
      type: 'array',
      description: "One per instance: the output's row, or {<output name>: row} when the model has several outputs.",
    },
  },
};

const TENSOR_METADATA: JsonSchema = {
  type: 'object',
  required: ['name', 'datatype', 'shape'],
  properties: {
    name: { type: 'string' },
    datatype: DATATYPE,
    shape: { type: 'array', description: '-1 marks a variable-size dimension.', items: { type: 'integer' } },
  },
};

const MODEL_METADATA: JsonSchema = {
  title: 'ModelMetadata',
  type: 'object',
  required: ['name', 'versions', 'platform', 'inputs', 'outputs'],
  properties: {
    name: { type: 'string' },
    versions: { type: 'array', description: 'Every version the server holds.', items: { type: 'string' } },
    platform: { type: 'string', enum: ['onnxruntime_onnx'] },
    inputs: { type: 'array', items: TENSOR_METADATA },
    outputs: { type: 'array', items: TENSOR_METADATA },
  },
};

const SERVER_METADATA: JsonSchema = {
  title: 'ServerMetadata',
  type: 'object',
  required: ['name', 'version', 'extensions'],
  properties: {
    name: { type: 'string' },
    version: { type: 'string' },
    extensions: { type: 'array', items: { type: 'string' } },
  },
};

const flag = (title: string, name: string, description: string): JsonSchema => ({
  title,
  type: 'object',
  required: [name],
  properties: { [name]: { type: 'boolean', description } },
});

const MODEL_READY: JsonSchema = {
  title: 'ModelReady',
  type: 'object',
  required: ['name', 'ready'],
  properties: { name: { type: 'string' }, ready: { type: 'boolean' } },
};

/** The longest request id feedback may refer to; longer ids are refused rather than stored. */
export const MAX_FEEDBACK_ID_LENGTH = 256;

// "Exactly one of label and value" needs oneOf, outside the shared subset; the runtime refuses both or neither.
const FEEDBACK_REQUEST: JsonSchema = {
  title: 'FeedbackRequest',
  description: 'The truth for an earlier inference request of a model whose requests are captured',
  type: 'object',
  required: ['id'],
  properties: {
    id: {
      type: 'string',
      minLength: 1,
      maxLength: MAX_FEEDBACK_ID_LENGTH,
      description: 'The "id" the inference request carried (see InferRequest).',
    },
    label: {
      description:
        'The true class of a classification: its label (a string) or class index (an integer); an array of them, ' +
        'one per batch row, for a batch. Exactly one of "label" and "value".',
    },
    value: {
      description: 'The true value of a regression: a number, or an array of numbers, one per batch row, for a batch.',
    },
  },
};

const FEEDBACK_ACCEPTED: JsonSchema = {
  title: 'FeedbackAccepted',
  type: 'object',
  required: ['accepted'],
  properties: { accepted: { type: 'boolean', description: 'Always true: the feedback is kept.' } },
};

const ERROR: JsonSchema = {
  title: 'Error',
  type: 'object',
  required: ['error'],
  properties: { error: { type: 'string', description: 'What was wrong and what was expected.' } },
};

/** Every body schema, by the name the OpenAPI document and the API Gateway models give it. */
export const SCHEMAS = {
  InferRequest: INFER_REQUEST,
  InferResponse: INFER_RESPONSE,
  PredictRequest: PREDICT_REQUEST,
  PredictResponse: PREDICT_RESPONSE,
  ModelMetadata: MODEL_METADATA,
  ServerMetadata: SERVER_METADATA,
  Live: flag('Live', 'live', 'Always true: the server answers.'),
  Ready: flag('Ready', 'ready', 'Whether every model is loaded.'),
  ModelReady: MODEL_READY,
  FeedbackRequest: FEEDBACK_REQUEST,
  FeedbackAccepted: FEEDBACK_ACCEPTED,
  Error: ERROR,
} as const satisfies Record<string, JsonSchema>;

export type SchemaName = keyof typeof SCHEMAS;
