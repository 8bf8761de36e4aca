import { type Random, shuffle } from './seeded-random';

export interface Split {
  readonly train: number[];
  readonly heldOut: number[];
}

/**
 * Row indices for training and held-out evaluation, stratified by class so that a small held-out set still has every
 * class in its true proportion, and sorted so that the held-out rows read in dataset order.
 */
export function stratifiedSplit(classes: readonly number[], heldOutFraction: number, random: Random): Split {
  const byClass = new Map<number, number[]>();
  classes.forEach((label, row) => {
    const rows = byClass.get(label);
    if (rows) rows.push(row);
    else byClass.set(label, [row]);
  });
  const train: number[] = [];
  const heldOut: number[] = [];
  for (const label of [...byClass.keys()].sort((a, b) => a - b)) {
    const rows = shuffle(byClass.get(label) ?? [], random);
    const heldOutCount = Math.round(rows.length * heldOutFraction);
    heldOut.push(...rows.slice(0, heldOutCount));
    train.push(...rows.slice(heldOutCount));
  }
  const ascending = (a: number, b: number) => a - b;
  return { train: train.sort(ascending), heldOut: heldOut.sort(ascending) };
}
