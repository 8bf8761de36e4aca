import { jsonHeaderSizeOf, sagemakerBinaryContentType } from '../../../lambda/protocol/sagemaker-content-type';

it.each<[string | undefined, string | undefined]>([
  ['application/vnd.sagemaker-triton.binary+json;json-header-size=123', '123'],
  ['Application/VND.SageMaker-Triton.Binary+JSON; json-header-size = 7', '7'],
  ['application/vnd.sagemaker-triton.binary+json;charset=utf-8;json-header-size="42"', '42'],
  ['application/vnd.sagemaker-triton.binary+json', undefined],
  ['application/vnd.sagemaker-triton.binary+json;json-header-size=-1', undefined],
  ['application/json', undefined],
  ['application/octet-stream;json-header-size=12', undefined],
  [undefined, undefined],
])('reads the JSON header size of %j as %j', (contentType, size) => {
  expect(jsonHeaderSizeOf(contentType)).toBe(size);
});

it('writes the content type Triton on SageMaker reads', () => {
  expect(sagemakerBinaryContentType(88)).toBe('application/vnd.sagemaker-triton.binary+json;json-header-size=88');
  expect(jsonHeaderSizeOf(sagemakerBinaryContentType(' 88 '))).toBe('88');
});
