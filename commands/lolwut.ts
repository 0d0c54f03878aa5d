/**
 * LOLWUT [VERSION v] [args ...]: Redis 7.0's computer art. Without VERSION
 * (or with one Redis has no art for) it answers Redis 7.0's own output,
 * the version line; VERSION 5 draws Georg Nees's "Schotter" in Braille
 * characters (arguments: columns, squares per row, squares per column),
 * VERSION 6 a city skyline in the terminal's four grays (columns, rows).
 *
 * The drawings follow Redis's arithmetic step by step, single-precision
 * floats included, so where Redis's output does not depend on `rand()`
 * (the first two rows of squares; a one-row skyline) it is the same byte
 * for byte.
 *
 * @module
 */

import { commandFamily, definePlugin } from "../core/registry.ts";
import type { Bytes, Context } from "../core/types.ts";
import { Err, ReplyError } from "../core/errors.ts";
import { parseBigInteger } from "../core/number.ts";

const f32 = Math.fround;
const RAND_MAX = 2147483647;

/** C's `rand()`: an integer in [0, RAND_MAX]. */
function rand(): number {
  return Math.floor(Math.random() * (RAND_MAX + 1));
}

/** C's `round()`: halves away from zero. */
function cRound(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/** Redis's `getLongFromObjectOrReply`. */
function longArg(s: Bytes): number {
  const n = parseBigInteger(s);
  if (n === undefined || n < -(2n ** 63n) || n >= 2n ** 63n) throw new ReplyError(Err.notInteger);
  return Number(n);
}

/** The optional integer argument `i`, clamped to [min, max]. */
function clampedArg(args: Bytes[], i: number, dflt: number, min: number, max: number): number {
  const n = i < args.length ? longArg(args[i]!) : dflt;
  return n < min ? min : n > max ? max : n;
}

/** Redis's `lwCanvas`: one byte per pixel, its color. */
class Canvas {
  readonly pixels: Uint8Array;
  constructor(readonly width: number, readonly height: number, bg: number) {
    this.pixels = new Uint8Array(width * height).fill(bg);
  }

  draw(x: number, y: number, color: number): void {
    if (x < 0 || x >= this.width || y < 0 || y >= this.height) return;
    this.pixels[x + y * this.width] = color;
  }

  get(x: number, y: number): number {
    if (x < 0 || x >= this.width || y < 0 || y >= this.height) return 0;
    return this.pixels[x + y * this.width]!;
  }

  /** Bresenham, as `lwDrawLine`. */
  line(x1: number, y1: number, x2: number, y2: number, color: number): void {
    const dx = Math.abs(x2 - x1), dy = Math.abs(y2 - y1);
    const sx = x1 < x2 ? 1 : -1, sy = y1 < y2 ? 1 : -1;
    let err = dx - dy;
    for (;;) {
      this.draw(x1, y1, color);
      if (x1 === x2 && y1 === y2) break;
      const e2 = err * 2;
      if (e2 > -dy) {
        err -= dy;
        x1 += sx;
      }
      if (e2 < dx) {
        err += dx;
        y1 += sy;
      }
    }
  }

  /**
   * A square centered at (x, y), `size` wide, rotated by `angle`
   * (`lwDrawSquare`: its corners on the circumscribed circle).
   */
  square(x: number, y: number, size: number, angle: number, color: number): void {
    size = f32(cRound(f32(size / 1.4142135623)));
    let k = f32(Math.PI / 4 + angle);
    const px: number[] = [], py: number[] = [];
    for (let j = 0; j < 4; j++) {
      px.push(cRound(Math.sin(k) * size + x));
      py.push(cRound(Math.cos(k) * size + y));
      k = f32(k + Math.PI / 2);
    }
    for (let j = 0; j < 4; j++) {
      this.line(px[j]!, py[j]!, px[(j + 1) % 4]!, py[(j + 1) % 4]!, color);
    }
  }
}

/** A random offset in [-y/rows, y/rows], as lolwut5 computes its three. */
function jitter(rows: number, y: number): number {
  const r = f32(f32(f32(rand() / RAND_MAX) / rows) * y);
  return r;
}

/** Schotter: rows of squares that rotate and shift more as they go down. */
function schotter(cols: number, perRow: number, perCol: number): Canvas {
  const width = cols * 2;
  const padding = width > 4 ? 2 : 0;
  const side = f32((width - padding * 2) / perRow);
  const height = Math.trunc(f32(f32(side * perCol) + padding * 2));
  const canvas = new Canvas(width, height, 0);
  const half = f32(side / 2);
  for (let y = 0; y < perCol; y++) {
    for (let x = 0; x < perRow; x++) {
      let sx = Math.trunc(f32(f32(f32(x * side) + half) + padding));
      let sy = Math.trunc(f32(f32(f32(y * side) + half) + padding));
      let angle = 0;
      if (y > 1) {
        let r1 = jitter(perCol, y), r2 = jitter(perCol, y), r3 = jitter(perCol, y);
        if (rand() % 2) r1 = -r1;
        if (rand() % 2) r2 = -r2;
        if (rand() % 2) r3 = -r3;
        angle = r1;
        sx = Math.trunc(f32(sx + f32(f32(r2 * side) / 3)));
        sy = Math.trunc(f32(sy + f32(f32(r3 * side) / 3)));
      }
      canvas.square(sx, sy, side, angle, 1);
    }
  }
  return canvas;
}

/** A canvas as Braille characters (UTF-8 bytes), 2x4 pixels each. */
function braille(canvas: Canvas): Bytes {
  const rows: string[] = [];
  for (let y = 0; y < canvas.height; y += 4) {
    let row = "";
    for (let x = 0; x < canvas.width; x += 2) {
      const g = (dx: number, dy: number, bit: number) => canvas.get(x + dx, y + dy) ? bit : 0;
      const byte = g(0, 0, 1) | g(0, 1, 2) | g(0, 2, 4) | g(1, 0, 8) | g(1, 1, 16) |
        g(1, 2, 32) | g(0, 3, 64) | g(1, 3, 128);
      const code = 0x2800 + byte;
      row += String.fromCharCode(
        0xe0 | (code >> 12),
        0x80 | ((code >> 6) & 0x3f),
        0x80 | (code & 0x3f),
      );
    }
    // Redis ends every row with a newline but a last one at height - 1.
    rows.push(y !== canvas.height - 1 ? row + "\n" : row);
  }
  return rows.join("");
}

function lolwut5(args: Bytes[], version: string): Bytes {
  const cols = clampedArg(args, 1, 66, 1, 1000);
  const perRow = clampedArg(args, 2, 8, 1, 200);
  const perCol = clampedArg(args, 3, 12, 1, 200);
  return braille(schotter(cols, perRow, perCol)) +
    `\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. ${version}\n`;
}

/** One skyscraper of `color` from the bottom row up, windows in the other grays. */
function skyscraper(
  canvas: Canvas,
  s: { xoff: number; width: number; height: number; windows: boolean; color: number },
): void {
  const starty = canvas.height - 1;
  const endy = starty - s.height + 1;
  for (let y = starty; y >= endy; y--) {
    for (let x = s.xoff; x < s.xoff + s.width; x++) {
      // The roof is four pixels narrower.
      if (y === endy && (x <= s.xoff + 1 || x >= s.xoff + s.width - 2)) continue;
      let color = s.color;
      if (
        s.windows && x > s.xoff + 1 && x < s.xoff + s.width - 2 && y > endy + 1 && y < starty - 1
      ) {
        const relx = x - (s.xoff + 1), rely = y - (endy + 1);
        // Windows two pixels wide, one tall, both halves the same gray.
        if (Math.trunc(relx / 2) % 2 && rely % 2) {
          do color = 1 + rand() % 2; while (color === s.color);
          if (relx % 2) color = canvas.get(x - 1, y);
        }
      }
      canvas.draw(x, y, color);
    }
  }
}

/** C's `a % b / c` on non-negative integers. */
function modDiv(a: number, b: number, c: number): number {
  return Math.trunc((a % b) / c);
}

function skyline(canvas: Canvas): void {
  const h = canvas.height;
  // Background towers without windows, the lighter gray behind.
  for (let color = 2; color >= 1; color--) {
    for (let offset = -10; offset < canvas.width;) {
      offset += rand() % 8;
      const width = 10 + rand() % 9;
      const height = color === 2
        ? Math.trunc(h / 2) + modDiv(rand(), h, 2)
        : Math.trunc(h / 2) + modDiv(rand(), h, 3);
      skyscraper(canvas, { xoff: offset, width, height, windows: false, color });
      offset += color === 2 ? Math.trunc(width / 2) : width + 1;
    }
  }
  // The foreground, with windows.
  for (let offset = -10; offset < canvas.width;) {
    offset += rand() % 8;
    let width = 5 + rand() % 14;
    if (width % 4) width += width % 3;
    const height = Math.trunc(h / 3) + modDiv(rand(), h, 2);
    skyscraper(canvas, { xoff: offset, width, height, windows: true, color: 0 });
    offset += width + 5;
  }
}

const GRAYS = ["0;30;40m", "0;90;100m", "0;37;47m", "0;97;107m"];

function lolwut6(args: Bytes[], version: string): Bytes {
  const cols = clampedArg(args, 1, 80, 1, 1000);
  const rows = clampedArg(args, 2, 20, 1, 1000);
  const canvas = new Canvas(cols, rows, 3);
  skyline(canvas);
  const lines: string[] = [];
  for (let y = 0; y < rows; y++) {
    let line = "";
    for (let x = 0; x < cols; x++) line += `\x1b[${GRAYS[canvas.get(x, y)] ?? GRAYS[0]} \x1b[0m`;
    lines.push(line);
  }
  return lines.join("\n") +
    "\nDedicated to the 8 bit game developers of past and present.\n" +
    `Original 8 bit image from Plaguemon by hikikomori. Redis ver. ${version}\n`;
}

function lolwut(c: Context, argv: Bytes[]): void {
  const version = c.server.version;
  let v = version;
  let args = argv;
  if (argv.length >= 3 && argv[1]!.toLowerCase() === "version") {
    // Redis prints the number as an unsigned int ("%u.0.0") and passes the
    // arguments after it on.
    v = `${BigInt.asUintN(32, BigInt(longArg(argv[2]!)))}.0.0`;
    args = argv.slice(2);
  }
  let art: Bytes;
  if ((v[0] === "5" && v[1] === "." && v[2] !== "9") || (v[0] === "4" && v.startsWith("4.9"))) {
    art = lolwut5(args, version);
  } else if (
    (v[0] === "6" && v[1] === "." && v[2] !== "9") || (v[0] === "5" && v.startsWith("5.9"))
  ) {
    art = lolwut6(args, version);
  } else {
    art = `Redis ver. ${version}\n`;
  }
  c.reply.verbatim(art);
}

const command = commandFamily({ group: "server" });

/** The LOLWUT plugin. */
export default definePlugin({
  name: "lolwut",
  commands: [command({
    name: "lolwut",
    arity: -1,
    flags: ["readonly", "fast"],
    docs: {
      summary: "Display some computer art and the Redis version",
      since: "5.0.0",
      arguments: [{ name: "version", type: "integer", token: "VERSION", flags: ["optional"] }],
    },
    handler: lolwut,
  })],
});
