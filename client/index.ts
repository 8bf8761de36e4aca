/** The model-endpoint client's public surface. */

export type { ModelMetadata, ServerMetadata } from '../lambda/protocol/metadata';
export type { AuthOptions } from './auth';
export { ModelEndpointError } from './errors';
export { type ClientOptions, type InferOptions, ModelEndpointClient } from './model-endpoint-client';
export type { InferRequestOf, InferResult, InputOf, ModelCatalog, ModelTypes, PredictInstances } from './model-types';
export type { RetryOptions } from './retry';
export { type AwsCredentials, type IamAuth, regionOfApiUrl, signRequest } from './sigv4';
export type { Datatype, InputTensor, JsonNested, OutputTensor, TensorData, TypedData } from './tensors';
