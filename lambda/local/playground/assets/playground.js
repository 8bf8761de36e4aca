import { LatencyChart } from './latency-chart.js';
import { renderModelCard } from './model-card.js';

const models = document.getElementById('models');
const chart = new LatencyChart(document.getElementById('latency-chart'), document.getElementById('latency-summary'));

/** Lists the served models (the list waits until they are loaded, as the API does) with one card each. */
async function start() {
  try {
    const response = await fetch('/playground/models.json');
    if (!response.ok) throw new Error(`the model list answered ${response.status}`);
    const list = await response.json();
    if (list.models.length === 0) throw new Error('the server lists no models');
    models.replaceChildren(...list.models.map((model) => renderModelCard(model, (entry) => chart.record(entry))));
  } catch (error) {
    const message = document.createElement('p');
    message.className = 'error';
    message.textContent = `Cannot list the models: ${error.message}. Is the local server (npm start) still running?`;
    models.replaceChildren(message);
  }
}

void start();
