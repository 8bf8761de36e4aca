import { element } from './dom.js';

/** Drawing size on screen and on the canvas: ten canvas pixels per image pixel, so a stroke reads like a pen's. */
const SCALE = 10;
/** About two image pixels wide, like the strokes of the MNIST digits the pad is meant for. */
const BRUSH = 2 * SCALE;
/** MNIST fits each digit into a 20x20 box, then centres its centre of mass in the 28x28 image; the pad does too. */
const BOX_FRACTION = 20 / 28;

/**
 * A square pad to draw on with a mouse, pen or finger, giving a side x side image of ink values 0..1, row by row
 * from the top left. A drawing is scaled and centred as the MNIST digits were: people draw big and off-centre, and a
 * model trained on MNIST only knows centred digits of a fixed size.
 */
export class DrawingPad {
  constructor(side) {
    this.side = side;
    this.canvas = element('canvas', {
      width: side * SCALE,
      height: side * SCALE,
      class: 'pad',
      'aria-label': 'drawing pad',
    });
    this.context = this.canvas.getContext('2d', { willReadFrequently: true });
    this.context.lineCap = 'round';
    this.context.lineJoin = 'round';
    this.context.lineWidth = BRUSH;
    this.context.strokeStyle = '#000';
    this.context.fillStyle = '#000';
    const clear = element('button', { type: 'button', class: 'clear' }, 'Clear');
    clear.addEventListener('click', () => this.clear());
    this.element = element('div', { class: 'drawing' }, this.canvas, clear);
    this.listen();
  }

  clear() {
    this.context.clearRect(0, 0, this.canvas.width, this.canvas.height);
  }

  listen() {
    let last;
    const at = (event) => {
      const box = this.canvas.getBoundingClientRect();
      return {
        x: ((event.clientX - box.left) * this.canvas.width) / box.width,
        y: ((event.clientY - box.top) * this.canvas.height) / box.height,
      };
    };
    this.canvas.addEventListener('pointerdown', (event) => {
      this.canvas.setPointerCapture(event.pointerId);
      last = at(event);
      this.dot(last);
    });
    this.canvas.addEventListener('pointermove', (event) => {
      if (last === undefined) return;
      const next = at(event);
      this.stroke(last, next);
      last = next;
    });
    const end = () => {
      last = undefined;
    };
    this.canvas.addEventListener('pointerup', end);
    this.canvas.addEventListener('pointercancel', end);
  }

  /** A tap leaves a dot: a line of length zero draws nothing, whatever its caps. */
  dot({ x, y }) {
    this.context.beginPath();
    this.context.arc(x, y, BRUSH / 2, 0, 2 * Math.PI);
    this.context.fill();
  }

  stroke(from, to) {
    this.context.beginPath();
    this.context.moveTo(from.x, from.y);
    this.context.lineTo(to.x, to.y);
    this.context.stroke();
  }

  /** The image as side * side ink values 0..1, or undefined while the pad is blank. */
  pixels() {
    const { width, height } = this.canvas;
    const alpha = this.context.getImageData(0, 0, width, height).data;
    const box = inkBox(alpha, width, height);
    if (box === undefined) return undefined;
    // Longest side of the ink to BOX_FRACTION of the image, aspect kept, drawn in the middle.
    const scale = (BOX_FRACTION * this.side) / Math.max(box.width, box.height);
    const small = element('canvas', { width: this.side, height: this.side });
    const context = small.getContext('2d', { willReadFrequently: true });
    context.imageSmoothingEnabled = true;
    context.imageSmoothingQuality = 'high';
    const w = box.width * scale;
    const h = box.height * scale;
    context.drawImage(this.canvas, box.x, box.y, box.width, box.height, (this.side - w) / 2, (this.side - h) / 2, w, h);
    const rgba = context.getImageData(0, 0, this.side, this.side).data;
    const ink = Array.from({ length: this.side * this.side }, (_, i) => rgba[i * 4 + 3] / 255);
    return centreOfMassShifted(ink, this.side);
  }
}

function inkBox(rgba, width, height) {
  let left = width;
  let top = height;
  let right = -1;
  let bottom = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (rgba[(y * width + x) * 4 + 3] === 0) continue;
      left = Math.min(left, x);
      right = Math.max(right, x);
      top = Math.min(top, y);
      bottom = Math.max(bottom, y);
    }
  }
  if (right < 0) return undefined;
  return { x: left, y: top, width: right - left + 1, height: bottom - top + 1 };
}

/** Moves the image by whole pixels so that its centre of mass is the image's centre, as MNIST's preprocessing did. */
function centreOfMassShifted(ink, side) {
  let total = 0;
  let sumX = 0;
  let sumY = 0;
  for (let i = 0; i < ink.length; i++) {
    total += ink[i];
    sumX += ink[i] * (i % side);
    sumY += ink[i] * Math.floor(i / side);
  }
  if (total === 0) return ink;
  const dx = Math.round((side - 1) / 2 - sumX / total);
  const dy = Math.round((side - 1) / 2 - sumY / total);
  const shifted = new Array(ink.length).fill(0);
  for (let i = 0; i < ink.length; i++) {
    const x = (i % side) + dx;
    const y = Math.floor(i / side) + dy;
    if (x >= 0 && x < side && y >= 0 && y < side) shifted[y * side + x] = ink[i];
  }
  return shifted;
}
