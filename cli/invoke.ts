import { parseArgs } from 'node:util';
import type { OutputTensor } from '../client';
import { toJsonData } from '../lambda/protocol/tensor-json';
import { CONNECTION_OPTIONS, CONNECTION_USAGE, connect } from './connection';
import { COLUMNS, clip, listFitting } from './output-text';
import { inferRequestOf, readDataArgument } from './request-data';

export const INVOKE_USAGE = `Usage: model-endpoint invoke <model> --data <file|json> [options]

Runs one inference and prints each output.

  --data <file|json>  {"inputs": [...]} (a v2 request), {"instances": [...]},
                      or rows such as '[[39.1, 18.7, 181, 3750]]' for a
                      single-input model
  --version <v>       a model version (default: the highest)
  --binary            binary tensor data both ways instead of JSON
  --json              print the answer as JSON
${CONNECTION_USAGE}`;

export async function invoke(argv: readonly string[], print: (line: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      ...CONNECTION_OPTIONS,
      data: { type: 'string' },
      version: { type: 'string' },
      binary: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  const [model, extra] = positionals;
  if (model === undefined || values.data === undefined || extra !== undefined) {
    throw new Error(`invoke takes one model and --data\n\n${INVOKE_USAGE}`);
  }
  const data = readDataArgument(values.data);
  const { client } = await connect(values);
  const request = await inferRequestOf(data, () => client.modelMetadata(model, values.version));
  const result = await client.infer(model, request, { version: values.version, binary: values.binary });
  if (values.json) {
    print(
      JSON.stringify({
        model_name: result.model_name,
        model_version: result.model_version,
        ...(result.id !== undefined && { id: result.id }),
        outputs: result.outputs.map((output) => ({ ...output, data: jsonData(output) })),
      }),
    );
    return 0;
  }
  print(`${result.model_name} version ${result.model_version}`);
  for (const output of result.outputs) {
    const label = `${output.name} ${output.datatype} [${output.shape.join(', ')}]: `;
    print(clip(label + listFitting(jsonData(output), COLUMNS - label.length)));
  }
  return 0;
}

function jsonData(output: OutputTensor) {
  return toJsonData(output);
}
