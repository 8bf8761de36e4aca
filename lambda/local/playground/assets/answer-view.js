import { element } from './dom.js';

/** At most this many values of an output are shown as text; the rest are counted. */
const SHOWN_VALUES = 16;

/**
 * Shows an inference response: each output with one value per row as a headline (the label, the class index), an
 * output with one probability per label as bars, largest first, and anything else as its first values.
 */
export function renderAnswer(container, response, model, ms) {
  const labels = model.labels ?? [];
  const headlines = [];
  const bars = [];
  const others = [];
  for (const output of response.outputs) {
    if (labels.length > 0 && output.datatype.startsWith('FP') && output.data.length === labels.length) {
      bars.push(probabilityBars(output, labels));
    } else if (output.data.length === 1) {
      headlines.push(
        element(
          'p',
          { class: 'headline', 'data-output': output.name },
          `${output.name}: `,
          element('strong', { class: 'answer-value' }, String(output.data[0])),
        ),
      );
    } else {
      const shown = output.data.slice(0, SHOWN_VALUES).join(', ');
      const more = output.data.length > SHOWN_VALUES ? `, \u2026 (${output.data.length} values)` : '';
      others.push(
        element('p', { 'data-output': output.name }, `${output.name} [${output.shape.join(', ')}]: ${shown}${more}`),
      );
    }
  }
  const served = `version ${response.model_version ?? '?'}, ${ms.toFixed(1)} ms round trip`;
  container.replaceChildren(...headlines, ...bars, ...others, element('p', { class: 'served' }, served));
}

function probabilityBars(output, labels) {
  const rows = labels
    .map((label, index) => ({ label, probability: Number(output.data[index]) }))
    .sort((a, b) => b.probability - a.probability)
    .map(({ label, probability }) => {
      const percent = Math.max(0, Math.min(100, probability * 100));
      const bar = element('span', { class: 'bar' });
      // A style property, not a style attribute: the page's content security policy allows no inline styles.
      bar.style.width = `${percent}%`;
      return element(
        'li',
        { 'data-label': label },
        element('span', { class: 'label' }, label),
        element('span', { class: 'track' }, bar),
        element('span', { class: 'value' }, `${percent.toFixed(1)} %`),
      );
    });
  return element(
    'div',
    { class: 'probabilities', 'data-output': output.name },
    element('p', {}, output.name),
    element('ol', {}, ...rows),
  );
}

export function renderError(container, message) {
  container.replaceChildren(element('p', { class: 'error' }, message));
}
