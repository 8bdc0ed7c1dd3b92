import { describe, expect, it } from 'vitest';
import { fulfilled, Batcher, rejected } from '../../src/lib/batcher.js';

describe('Batcher', () => {
  it('writes callers of one turn together, at most maxGroup at a time, and answers each its own outcome', async () => {
    const groups: number[][] = [];
    const commit = new Batcher<number, number>(async (items) => {
      groups.push(items);
      return items.map((n) => (n === 3 ? rejected(new Error(`no ${n}`)) : fulfilled(n * 10)));
    }, 4);
    const results = await Promise.allSettled([1, 2, 3, 4, 5, 6].map((n) => commit.add(n)));
    expect(groups).toEqual([
      [1, 2, 3, 4],
      [5, 6],
    ]);
    expect(results).toEqual([
      fulfilled(10),
      fulfilled(20),
      { status: 'rejected', reason: new Error('no 3') },
      fulfilled(40),
      fulfilled(50),
      fulfilled(60),
    ]);
  });

  it('callers arriving during a write form the next group; a failed write fails only its own group', async () => {
    const groups: string[][] = [];
    let release!: () => void;
    const firstWrite = new Promise<void>((resolve) => (release = resolve));
    const commit = new Batcher<string, string>(async (items) => {
      groups.push(items);
      if (groups.length === 1) {
        await firstWrite;
        throw new Error('database gone');
      }
      return items.map((s) => fulfilled(s.toUpperCase()));
    }, 100);
    const first = commit.add('a');
    await new Promise((r) => setImmediate(r));
    const later = [commit.add('b'), commit.add('c')];
    release();
    await expect(first).rejects.toThrow('database gone');
    expect(await Promise.all(later)).toEqual(['B', 'C']);
    expect(groups).toEqual([['a'], ['b', 'c']]);
  });

  it('an item the write gives no outcome for is rejected, not left hanging', async () => {
    const commit = new Batcher<number, number>(async () => [], 10);
    await expect(commit.add(1)).rejects.toThrow('no outcome');
  });
});
