import { renderAnswer, renderError } from './answer-view.js';
import { element } from './dom.js';
import { DrawingPad } from './drawing-pad.js';

/**
 * One model: what it is, a form built from its metadata (see lambda/local/playground/playground-form.ts for which
 * form a model gets), and the answer of the last request. `onLatency` gets every request's round trip.
 */
export function renderModelCard(model, onLatency) {
  const version = model.versions[model.versions.length - 1];
  const versions =
    model.versions.length === 1
      ? `version ${version}`
      : `versions ${model.versions.join(', ')}; the form calls version ${version}, the one served by default`;
  const card = element(
    'article',
    { class: 'model', 'data-model': model.name },
    element('h2', {}, model.name),
    element('p', { class: 'versions' }, versions),
    model.description === undefined ? undefined : element('p', { class: 'description' }, model.description),
  );
  if (model.form === undefined) {
    card.append(element('p', { class: 'error' }, `Cannot be called right now: ${model.error}`));
    return card;
  }
  const answer = element('div', { class: 'answer', 'aria-live': 'polite' });
  const inputs = formInputs(model.form);
  const send = element('button', { type: 'submit' }, 'Infer');
  const form = element('form', { class: `form-${model.form.kind}` }, inputs.fields, element('p', {}, send));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    let body;
    try {
      body = inputs.request();
    } catch (error) {
      renderError(answer, error.message);
      return;
    }
    send.disabled = true;
    void infer(model, body, answer, onLatency).finally(() => {
      send.disabled = false;
      // How many answers this card has shown: lets a script (or a test) wait for the answer to a request it sent.
      answer.dataset.answered = String(Number(answer.dataset.answered ?? 0) + 1);
    });
  });
  card.append(form, answer);
  return card;
}

async function infer(model, body, answer, onLatency) {
  const started = performance.now();
  let response;
  try {
    response = await fetch(`/v2/models/${encodeURIComponent(model.name)}/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  } catch (error) {
    renderError(answer, `The request did not reach the server (${error.message}). Is it still running?`);
    return;
  }
  const text = await response.text();
  const ms = performance.now() - started;
  onLatency({ model: model.name, ms, ok: response.ok });
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    renderError(answer, `The server answered ${response.status} with a body that is not JSON.`);
    return;
  }
  if (!response.ok) {
    renderError(answer, `${response.status}: ${json.error ?? text}`);
    return;
  }
  renderAnswer(answer, json, model, ms);
}

/** The form's fields, and a function that turns what the user entered into an inference request body. */
function formInputs(form) {
  if (form.kind === 'features') return featureFields(form);
  if (form.kind === 'drawing') return drawingField(form);
  return jsonField(form);
}

function featureFields(form) {
  const integer = !form.datatype.startsWith('FP');
  const fields = form.features.map((feature) =>
    element(
      'label',
      { class: 'feature' },
      element('span', {}, feature),
      element('input', { type: 'number', step: integer ? '1' : 'any', name: feature, required: '' }),
    ),
  );
  const request = () => ({
    inputs: [
      {
        name: form.input,
        datatype: form.datatype,
        shape: form.shape,
        data: fields.map((field) => Number(field.querySelector('input').value)),
      },
    ],
  });
  return { fields: element('fieldset', {}, element('legend', {}, form.input), ...fields), request };
}

function drawingField(form) {
  const pad = new DrawingPad(form.side);
  const request = () => {
    const pixels = pad.pixels();
    if (pixels === undefined) throw new Error('Draw something on the pad first.');
    return { inputs: [{ name: form.input, datatype: form.datatype, shape: form.shape, data: pixels }] };
  };
  return {
    fields: element('fieldset', {}, element('legend', {}, `${form.input}: draw a digit`), pad.element),
    request,
  };
}

function jsonField(form) {
  const text = element('textarea', { rows: 8, spellcheck: 'false', 'aria-label': 'inputs as JSON' });
  text.value = JSON.stringify(form.example.inputs, null, 1);
  const upload = element('input', { type: 'file', accept: '.json,application/json' });
  upload.addEventListener('change', async () => {
    const [file] = upload.files;
    if (file !== undefined) text.value = await file.text();
  });
  const request = () => {
    let value;
    try {
      value = JSON.parse(text.value);
    } catch (error) {
      throw new Error(`The inputs are not valid JSON: ${error.message}`);
    }
    // A whole request body (with "inputs") is taken as it is, a bare list as its inputs.
    return Array.isArray(value) ? { inputs: value } : value;
  };
  const help = element('p', { class: 'help' }, 'The request\u2019s "inputs" as JSON, or load them from a file:');
  return { fields: element('fieldset', {}, element('legend', {}, 'inputs'), help, text, upload), request };
}
