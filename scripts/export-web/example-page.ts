import type { ModelDescriptor } from '../../contract/model-descriptor';
import type { TensorSpec } from '../../contract/onnx-model-spec';
import { BUNDLE_FILES } from '../../web/bundle-files';

/**
 * A request the model accepts, for the example page to start from: one row (each dynamic dimension 1) of zeros, or
 * of empty strings for BYTES. With named features (model.json) the page shows them beside the box.
 */
export function exampleRequest(descriptor: ModelDescriptor): { inputs: object[] } {
  return {
    inputs: descriptor.inputs.map((spec: TensorSpec) => {
      const shape = spec.shape.map((dimension) => (dimension === -1 ? 1 : dimension));
      const size = shape.reduce((product, dimension) => product * dimension, 1);
      const zero = spec.datatype === 'BYTES' ? '' : spec.datatype === 'BOOL' ? false : 0;
      return { name: spec.name, datatype: spec.datatype, shape, data: new Array(size).fill(zero) };
    }),
  };
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);

/**
 * index.html of the bundle: the model's description, a request box, a Run button, where the answer came from and how
 * long it took. A starting point to copy, served from the bundle's folder by any static host; it loads nothing else.
 */
export function examplePage(descriptor: ModelDescriptor): string {
  const { name, version, manifest } = descriptor;
  const features =
    manifest.features === undefined ? '' : `<p>Features, in order: ${escapeHtml(manifest.features.join(', '))}</p>`;
  const request = JSON.stringify(exampleRequest(descriptor));
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(name)} version ${escapeHtml(version)}</title>
<style>
body { font: 15px/1.4 system-ui, sans-serif; margin: 2rem; max-width: 60rem; }
textarea, pre { width: 100%; box-sizing: border-box; font: 13px ui-monospace, monospace; }
pre { background: #f4f4f4; padding: .5rem; white-space: pre-wrap; word-break: break-all; }
</style>
</head>
<body>
<h1>${escapeHtml(name)} <small>version ${escapeHtml(version)}</small></h1>
<p>${escapeHtml(manifest.description ?? '')}</p>
${features}
<label for="request">Inference request (the API's JSON)</label>
<textarea id="request" rows="8">${escapeHtml(request)}</textarea>
<p><button id="run" type="button">Run</button> <span id="status">loading the model…</span></p>
<pre id="answer"></pre>
<script type="module">
import { infer, placement } from './${BUNDLE_FILES.module}';
const status = document.getElementById('status');
const answer = document.getElementById('answer');
const where = await placement().catch((error) => ({ placement: 'nowhere', reason: error.message }));
status.textContent = where.reason ? \`answers from the \${where.placement} (\${where.reason})\` : \`answers from the \${where.placement}\`;
document.getElementById('run').addEventListener('click', async () => {
  const started = performance.now();
  try {
    const response = await infer(JSON.parse(document.getElementById('request').value));
    answer.textContent = JSON.stringify(response, null, 1);
    status.textContent = \`answered from the \${where.placement} in \${(performance.now() - started).toFixed(1)} ms\`;
  } catch (error) {
    answer.textContent = \`\${error.name} \${error.status ?? ''}: \${error.message}\`;
  }
  answer.dataset.done = String(Number(answer.dataset.done ?? 0) + 1);
});
</script>
</body>
</html>
`;
}
