import { WaitingSlots } from '../../../lambda/model/waiting-slots';

describe('WaitingSlots', () => {
  it('gives each waiting entry its own id and takes back exactly that entry', () => {
    const slots = new WaitingSlots<string>();
    const ids = ['a', 'b', 'c'].map((entry) => slots.add(entry));
    expect(new Set(ids).size).toBe(3);
    expect(slots.take(ids[1])).toBe('b');
    expect(slots.take(ids[0])).toBe('a');
    expect(slots.take(ids[2])).toBe('c');
  });

  it('answers undefined for an id taken already or never given, so a late or stray reply settles nothing', () => {
    const slots = new WaitingSlots<string>();
    const id = slots.add('a');
    expect(slots.take(id)).toBe('a');
    expect(slots.take(id)).toBeUndefined();
    expect(slots.take(41)).toBeUndefined();
  });

  it('reuses the ids of taken entries, so that the slots stay as many as the most ever waiting at once', () => {
    const slots = new WaitingSlots<number>();
    const ids = new Set<number>();
    for (let round = 0; round < 1_000; round++) {
      const first = slots.add(round);
      const second = slots.add(-round);
      ids.add(first).add(second);
      expect(slots.take(first)).toBe(round);
      expect(slots.take(second)).toBe(-round);
    }
    expect(ids.size).toBe(2);
  });

  it('gives up everything still waiting at once, and nothing twice', () => {
    const slots = new WaitingSlots<string>();
    const [a] = ['a', 'b', 'c'].map((entry) => slots.add(entry));
    slots.take(a);
    expect(slots.takeAll().sort()).toEqual(['b', 'c']);
    expect(slots.takeAll()).toEqual([]);
    expect(slots.take(slots.add('d'))).toBe('d');
  });
});
