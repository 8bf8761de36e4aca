import { svgElement } from './dom.js';

/** How many of the latest requests the chart shows. */
const SHOWN = 40;
const WIDTH = 640;
const HEIGHT = 140;
/** Room at the bottom for the legend and at the left for the scale. */
const LEGEND = 18;
const SCALE = 44;
/** One colour per model, in the order they are first called; failed requests are red whatever the model. */
const COLOURS = ['#2f6fb0', '#d08a1e', '#3d9a5b', '#8458b3', '#5a6b7b', '#b0477a'];
const FAILED = '#c0392b';

/** Round trip of the latest requests as bars (newest right), redrawn after each request, with a one-line summary. */
export class LatencyChart {
  constructor(svg, summary) {
    this.svg = svg;
    this.summary = summary;
    this.entries = [];
    this.colours = new Map();
  }

  record({ model, ms, ok }) {
    if (!this.colours.has(model)) this.colours.set(model, COLOURS[this.colours.size % COLOURS.length]);
    this.entries = [...this.entries, { model, ms, ok }].slice(-SHOWN);
    this.draw();
  }

  draw() {
    const top = Math.max(...this.entries.map((entry) => entry.ms));
    const plotHeight = HEIGHT - LEGEND - 10;
    const step = (WIDTH - SCALE) / SHOWN;
    const bars = this.entries.map((entry, index) => {
      const height = Math.max(1, (entry.ms / top) * plotHeight);
      return svgElement(
        'rect',
        {
          x: SCALE + index * step + 1,
          y: 10 + plotHeight - height,
          width: step - 2,
          height,
          fill: entry.ok ? this.colours.get(entry.model) : FAILED,
          class: 'latency-bar',
        },
        svgElement('title', {}, `${entry.model}: ${entry.ms.toFixed(1)} ms${entry.ok ? '' : ' (failed)'}`),
      );
    });
    const scale = [
      svgElement('text', { x: SCALE - 4, y: 16, 'text-anchor': 'end' }, `${top.toFixed(0)} ms`),
      svgElement('text', { x: SCALE - 4, y: 10 + plotHeight, 'text-anchor': 'end' }, '0'),
      svgElement('line', { x1: SCALE, y1: 10 + plotHeight, x2: WIDTH, y2: 10 + plotHeight, class: 'axis' }),
    ];
    const legend = [...this.colours].flatMap(([model, colour], index) => [
      svgElement('rect', { x: SCALE + index * 120, y: HEIGHT - 12, width: 10, height: 10, fill: colour }),
      svgElement('text', { x: SCALE + index * 120 + 14, y: HEIGHT - 3 }, model),
    ]);
    this.svg.replaceChildren(...scale, ...bars, ...legend);
    const last = this.entries[this.entries.length - 1];
    const sorted = this.entries.map((entry) => entry.ms).sort((a, b) => a - b);
    const median = sorted[Math.floor((sorted.length - 1) / 2)];
    this.summary.textContent =
      `Last: ${last.model} in ${last.ms.toFixed(1)} ms. Median of the last ${sorted.length}: ${median.toFixed(1)} ms ` +
      '(round trip seen by this page, server and network included).';
  }
}
