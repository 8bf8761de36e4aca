import { DATATYPES, type Datatype } from '../../contract/datatypes';
import type { WireTensor } from '../../contract/golden-set';
import { decodeBinaryTensorData, splitBinaryBody } from '../protocol/binary-tensor-data';
import { toJsonData } from '../protocol/tensor-json';
import type { ShadowMessage } from './shadow-sample';

/**
 * The outputs of a v2 inference answer as JSON tensors, whether the answer was JSON or binary tensor data (JSON
 * header, then each binary output's bytes in order), so that live and candidate answers compare element by element.
 * Throws an Error saying what the answer lacks.
 */
export function answerOutputs(answer: ShadowMessage): WireTensor[] {
  const bytes = Buffer.from(answer.body, answer.isBase64Encoded ? 'base64' : 'utf8');
  const headerLength = answer.inferenceHeaderContentLength;
  const { header, binary } =
    headerLength === undefined ? { header: bytes, binary: new Uint8Array(0) } : splitBinaryBody(bytes, headerLength);
  const parsed = JSON.parse(Buffer.from(header.buffer, header.byteOffset, header.byteLength).toString('utf8')) as {
    outputs?: unknown;
  };
  if (!Array.isArray(parsed.outputs)) throw new Error('the answer has no "outputs" array');
  let offset = 0;
  return parsed.outputs.map((item: unknown, index: number) => {
    const output = item as Partial<WireTensor> & { parameters?: { binary_data_size?: unknown } };
    const { name, datatype, shape } = output;
    if (typeof name !== 'string' || !DATATYPES.includes(datatype as Datatype) || !Array.isArray(shape)) {
      throw new Error(`output ${index} of the answer has no name, datatype or shape`);
    }
    const size = output.parameters?.binary_data_size;
    if (typeof size === 'number') {
      const data = decodeBinaryTensorData(name, datatype as Datatype, shape, binary.subarray(offset, offset + size));
      offset += size;
      return {
        name,
        datatype: datatype as Datatype,
        shape,
        data: toJsonData({ name, datatype: datatype as Datatype, shape, data }),
      };
    }
    if (!Array.isArray(output.data)) throw new Error(`output "${name}" of the answer has neither data nor binary data`);
    return { name, datatype: datatype as Datatype, shape, data: output.data };
  });
}
