/**
 * The list storage (commands/lists/_deque.ts) against a plain array model
 * under seeded random operations: small arrays growing, recentring and
 * shrinking, rings of chunks wrapping, growing and halving, and every
 * method across chunk boundaries from both ends.
 */

import { assertEquals } from "../_assert.ts";
import { Deque } from "../../commands/lists/_deque.ts";

/** mulberry32: a small seeded generator; returns 0..n-1. */
function rng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n: number) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) % n);
  };
}

function check(d: Deque, m: string[], rnd: (n: number) => number): void {
  assertEquals(d.length, m.length);
  if (m.length === 0) return;
  // Ends and random places in a random order: the last one read is the
  // chunk at/setAt remember, which the next operation must not trust
  // blindly (a chunk given back and reused elsewhere).
  const picks = [0, m.length - 1, rnd(m.length), rnd(m.length)];
  for (let k = 0; k < 4; k++) {
    const j = rnd(4 - k), i = picks[j]!;
    picks[j] = picks[3 - k]!;
    assertEquals(d.at(i), m[i]);
  }
}

function checkAll(d: Deque, m: string[]): void {
  assertEquals(d.length, m.length);
  assertEquals(d.toArray(), m);
  assertEquals([...d], m);
  // writeRange (LRANGE's replies): the whole list and a part inside it.
  const written: string[] = [];
  const sink = { bulk: (v: string) => void written.push(v) };
  if (m.length !== 0) d.writeRange(0, m.length - 1, sink);
  assertEquals(written, m);
  if (m.length > 2) {
    const a = m.length >> 2, b = m.length - 2;
    written.length = 0;
    d.writeRange(a, b, sink);
    assertEquals(written, m.slice(a, b + 1));
  }
  for (let i = 0; i < m.length; i++) {
    if (d.at(i) !== m[i]) assertEquals(d.at(i), m[i], `at(${i})`);
  }
}

/** The model of removeEqual. */
function modelRemove(m: string[], v: string, limit: number, fromTail: boolean): number {
  const drop = new Set<number>();
  for (let k = 0; k < m.length && (limit === 0 || drop.size < limit); k++) {
    const j = fromTail ? m.length - 1 - k : k;
    if (m[j] === v) drop.add(j);
  }
  const kept = m.filter((_, j) => !drop.has(j));
  m.length = 0;
  m.push(...kept);
  return drop.size;
}

/**
 * One random step. `bias` (0..1) is the chance that a push/pop step
 * pushes, so a phase can grow a list past many chunks or drain it.
 */
function step(
  d: Deque,
  m: string[],
  rnd: (n: number) => number,
  bias: number,
  values: number,
): void {
  const v = `v${rnd(values)}`;
  const op = rnd(100);
  if (op < 80) {
    const push = rnd(1000) < bias * 1000;
    const front = rnd(2) === 0;
    if (push) {
      if (front) {
        d.pushFront(v);
        m.unshift(v);
      } else {
        d.pushBack(v);
        m.push(v);
      }
    } else if (front) assertEquals(d.popFront(), m.shift());
    else assertEquals(d.popBack(), m.pop());
  } else if (op < 85) {
    if (m.length > 0) {
      const i = rnd(m.length);
      d.setAt(i, v);
      m[i] = v;
    }
  } else if (op < 88) {
    // Near either end or anywhere.
    const r = rnd(3);
    const i = r === 0
      ? rnd(Math.min(3, m.length + 1))
      : r === 1
      ? m.length - rnd(Math.min(3, m.length + 1))
      : rnd(m.length + 1);
    d.insertAt(i, v);
    m.splice(i, 0, v);
  } else if (op < 93) {
    if (m.length > 0) {
      const s = rnd(m.length), e = s + rnd(Math.min(600, m.length - s));
      assertEquals(d.range(s, e), m.slice(s, e + 1));
    }
  } else if (op < 96) {
    const i = m.indexOf(v);
    assertEquals(d.indexOf(v), i);
  } else if (op < 98) {
    const limit = rnd(3) === 0 ? 0 : 1 + rnd(3), tail = rnd(2) === 1;
    const removed = modelRemove(m, v, limit, tail);
    assertEquals(d.removeEqual(v, limit, tail), removed);
  } else if (op < 99 && rnd(4) === 0) {
    // Trim a little from either end, or keep a slice.
    const r = rnd(3), n = m.length;
    let s = 0, e = n - 1;
    if (r === 0) s = rnd(Math.min(n, 300) + 1);
    else if (r === 1) e = n - 1 - rnd(Math.min(n, 300) + 1);
    else {
      s = rnd(n + 1);
      e = s + rnd(Math.max(1, n - s)) - 1;
    }
    e = Math.min(e, n - 1);
    d.keepRange(s, e);
    const kept = s > e ? [] : m.slice(s, e + 1);
    m.length = 0;
    m.push(...kept);
  }
}

Deno.test("deque: small lists, random operations", () => {
  for (let seed = 1; seed <= 30; seed++) {
    const rnd = rng(seed);
    const d = new Deque(rnd(10));
    const m: string[] = [];
    for (let s = 0; s < 3000; s++) {
      // Sizes up to a few dozen: growth, recentring, shrinking.
      step(d, m, rnd, m.length < 40 ? 0.6 : 0.35, 6);
      check(d, m, rnd);
    }
    checkAll(d, m);
  }
});

Deno.test("deque: long lists, grow and drain in phases", () => {
  for (let seed = 100; seed < 106; seed++) {
    const rnd = rng(seed);
    const d = new Deque();
    const m: string[] = [];
    // Grow past many chunks, drain to a few, grow again, drain to empty.
    for (const [bias, steps] of [[0.9, 6000], [0.2, 5000], [0.85, 8000], [0.1, 12000]] as const) {
      for (let s = 0; s < steps; s++) {
        step(d, m, rnd, bias, 40);
        check(d, m, rnd);
        if (s % 997 === 0) checkAll(d, m);
      }
      checkAll(d, m);
    }
  }
});

Deno.test("deque: a queue moving along its ring (wrap-around)", () => {
  for (const size of [1, 3, 200, 255, 256, 257, 700, 2000]) {
    const d = new Deque();
    const m: string[] = [];
    let next = 0;
    for (let j = 0; j < size; j++) {
      d.pushBack(`e${next}`);
      m.push(`e${next++}`);
    }
    // RPUSH + LPOP, then LPUSH + RPOP: the list walks all the way round.
    for (let j = 0; j < 3000; j++) {
      d.pushBack(`e${next}`);
      m.push(`e${next++}`);
      assertEquals(d.popFront(), m.shift());
      if (j % 500 === 0) checkAll(d, m);
    }
    for (let j = 0; j < 3000; j++) {
      d.pushFront(`e${next}`);
      m.unshift(`e${next++}`);
      assertEquals(d.popBack(), m.pop());
    }
    checkAll(d, m);
    assertEquals(d.range(0, m.length - 1), m);
  }
});

Deno.test("deque: pushes and pops across every chunk boundary, both ends", () => {
  for (const front of [false, true]) {
    for (const popFront of [false, true]) {
      const d = new Deque();
      const m: string[] = [];
      for (let j = 0; j < 2100; j++) {
        const v = `x${j}`;
        if (front) {
          d.pushFront(v);
          m.unshift(v);
        } else {
          d.pushBack(v);
          m.push(v);
        }
        if ((j & 127) === 0 || (j & 255) === 255) checkAll(d, m);
      }
      checkAll(d, m);
      while (m.length > 0) {
        assertEquals(popFront ? d.popFront() : d.popBack(), popFront ? m.shift() : m.pop());
        if ((m.length & 255) <= 1) checkAll(d, m);
      }
      assertEquals(d.popFront(), undefined);
      assertEquals(d.popBack(), undefined);
      // Reused after being drained.
      for (let j = 0; j < 600; j++) {
        d.pushBack(`y${j}`);
        m.push(`y${j}`);
      }
      checkAll(d, m);
    }
  }
});

Deno.test("deque: oscillating at a chunk boundary", () => {
  for (const start of [255, 256, 257, 511, 512, 513]) {
    for (const front of [false, true]) {
      const d = new Deque();
      const m: string[] = [];
      for (let j = 0; j < start; j++) {
        d.pushBack(`a${j}`);
        m.push(`a${j}`);
      }
      for (let j = 0; j < 200; j++) {
        const v = `b${j}`;
        if (front) {
          d.pushFront(v);
          m.unshift(v);
          d.pushFront(v + "x");
          m.unshift(v + "x");
          assertEquals(d.popFront(), m.shift());
          assertEquals(d.popFront(), m.shift());
          assertEquals(d.popFront(), m.shift());
          d.pushFront(v);
          m.unshift(v);
        } else {
          d.pushBack(v);
          m.push(v);
          d.pushBack(v + "x");
          m.push(v + "x");
          assertEquals(d.popBack(), m.pop());
          assertEquals(d.popBack(), m.pop());
          assertEquals(d.popBack(), m.pop());
          d.pushBack(v);
          m.push(v);
        }
      }
      checkAll(d, m);
    }
  }
});

Deno.test("deque: insertAt, keepRange and removeEqual on long lists, from both ends", () => {
  const rnd = rng(7);
  for (const size of [5, 300, 1000, 3000]) {
    const d = new Deque();
    const m: string[] = [];
    for (let j = 0; j < size; j++) {
      const v = `k${rnd(5)}`;
      if (rnd(2) === 0) {
        d.pushBack(v);
        m.push(v);
      } else {
        d.pushFront(v);
        m.unshift(v);
      }
    }
    for (const i of [0, 1, 2, size >> 1, m.length - 2, m.length - 1, m.length]) {
      d.insertAt(Math.max(0, Math.min(i, m.length)), "ins");
      m.splice(Math.max(0, Math.min(i, m.length)), 0, "ins");
      checkAll(d, m);
    }
    assertEquals(d.indexOf("ins"), m.indexOf("ins"));
    assertEquals(d.indexOf("absent"), -1);
    for (const [limit, tail] of [[2, false], [2, true], [0, true], [1, false]] as const) {
      const v = `k${rnd(5)}`;
      assertEquals(d.removeEqual(v, limit, tail), modelRemove(m, v, limit, tail));
      checkAll(d, m);
    }
    assertEquals(d.removeEqual("absent", 0, false), 0);
    // Trim from the head, from the tail, then keep a small middle.
    const trims: [number, number][] = [
      [Math.min(3, m.length - 1), m.length - 1],
      [0, m.length - 10],
      [m.length >> 2, (m.length >> 2) + 2],
    ];
    for (const [s, e] of trims) {
      d.keepRange(s, Math.min(e, m.length - 1));
      const kept = s > e ? [] : m.slice(s, Math.min(e, m.length - 1) + 1);
      m.length = 0;
      m.push(...kept);
      checkAll(d, m);
      // Still a working deque at both ends.
      d.pushFront("f");
      d.pushBack("b");
      m.unshift("f");
      m.push("b");
      checkAll(d, m);
    }
    d.keepRange(1, 0);
    m.length = 0;
    checkAll(d, m);
  }
});

Deno.test("deque: removeEqual of everything, and of all but one, on a chunked list", () => {
  const d = new Deque();
  const m: string[] = [];
  for (let j = 0; j < 1500; j++) {
    const v = j === 700 ? "keep" : "x";
    d.pushBack(v);
    m.push(v);
  }
  assertEquals(d.removeEqual("x", 0, false), 1499);
  assertEquals(d.toArray(), ["keep"]);
  for (let j = 0; j < 1000; j++) d.pushFront("y");
  assertEquals(d.removeEqual("y", 0, true), 1000);
  assertEquals(d.removeEqual("keep", 0, true), 1);
  assertEquals(d.length, 0);
  d.pushFront("z");
  assertEquals(d.toArray(), ["z"]);
});

Deno.test("deque: a chunk given back and reused by another list is not read through the old one", () => {
  for (const front of [true, false]) {
    const d = new Deque();
    const m: string[] = [];
    for (let j = 0; j < 1200; j++) {
      d.pushBack(`a${j}`);
      m.push(`a${j}`);
    }
    // Read the end's chunk, pop past it (given back), let another list take it.
    assertEquals(front ? d.at(0) : d.at(m.length - 1), front ? m[0] : m[m.length - 1]);
    for (let j = 0; j < 300; j++) {
      assertEquals(front ? d.popFront() : d.popBack(), front ? m.shift() : m.pop());
    }
    const other = new Deque();
    for (let j = 0; j < 2000; j++) other.pushBack("other");
    for (let j = 0; j < 300; j++) {
      if (front) {
        d.pushFront(`b${j}`);
        m.unshift(`b${j}`);
      } else {
        d.pushBack(`b${j}`);
        m.push(`b${j}`);
      }
    }
    assertEquals(d.at(0), m[0]);
    assertEquals(d.at(m.length - 1), m[m.length - 1]);
    d.setAt(0, "s0");
    m[0] = "s0";
    d.setAt(m.length - 1, "s1");
    m[m.length - 1] = "s1";
    checkAll(d, m);
    assertEquals(other.toArray(), new Array(2000).fill("other"));
  }
});

Deno.test("deque: from, a large initial capacity, and values of every byte", () => {
  const items = Array.from({ length: 1000 }, (_, j) => String.fromCharCode(j & 255) + j);
  const d = Deque.from(items);
  checkAll(d, items.slice());
  const e = new Deque(100000);
  assertEquals(e.length, 0);
  e.pushFront("a");
  e.pushBack("b");
  assertEquals(e.toArray(), ["a", "b"]);
  assertEquals(new Deque(0).toArray(), []);
});
