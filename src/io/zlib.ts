// zlib decompression (RFC 1950/1951) into a buffer of known size, checked end to end: nothing grows or is guessed.

/** Reports what is wrong with compressed data; never returns. */
export type Fail = (what: string) => never;

// Base values and extra bits of length codes 257 … 285 and distance codes 0 … 29 (RFC 1951, 3.2.5): each
// group of codes with n extra bits spans 2^n values.
const LEXT = new Uint8Array(29);
const LBASE = new Uint16Array(29);
const DEXT = new Uint8Array(30);
const DBASE = new Uint16Array(30);
for (let i = 0, base = 3; i < 29; i++) {
  LEXT[i] = i < 8 || i === 28 ? 0 : (i >> 2) - 1;
  LBASE[i] = i === 28 ? 258 : base;
  base += 1 << LEXT[i]!;
}
for (let i = 0, base = 1; i < 30; i++) {
  DEXT[i] = i < 4 ? 0 : (i >> 1) - 1;
  DBASE[i] = base;
  base += 1 << DEXT[i]!;
}
const CL_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

const TRUNCATED = "the compressed data ends in the middle of a block";

/**
 * The most output one byte of deflate data can produce (a 1-bit length-258 code with a 1-bit distance code,
 * four per byte), so a stream of n bytes never inflates to more than about 1032·n bytes.
 */
export const MAX_DEFLATE_RATIO = 1032;

/**
 * A decoding table indexed by the next `bits` input bits (least significant first): each entry is
 * `symbol << 4 | code length`, and 0 where no code starts with those bits.
 */
interface Table {
  codes: Int32Array;
  bits: number;
}

/** Builds the table of a canonical Huffman code from its code lengths, into `codes` (≥ 2^15 entries). */
function buildTable(lengths: Uint8Array, codes: Int32Array, what: string, fail: Fail): Table {
  const count = new Uint16Array(16);
  let maxLen = 0;
  for (let i = 0; i < lengths.length; i++) {
    const len = lengths[i]!;
    count[len]!++;
    if (len > maxLen) maxLen = len;
  }
  count[0] = 0;
  let left = 1;
  for (let len = 1; len <= 15; len++) {
    left = 2 * left - count[len]!;
    if (left < 0) fail(`its ${what} code is over-subscribed`);
  }
  const next = new Uint16Array(16);
  for (let len = 1, code = 0; len <= 15; len++) {
    code = (code + count[len - 1]!) << 1;
    next[len] = code;
  }
  const bits = Math.max(maxLen, 1);
  const size = 1 << bits;
  codes.fill(0, 0, size);
  for (let sym = 0; sym < lengths.length; sym++) {
    const len = lengths[sym]!;
    if (len === 0) continue;
    let c = next[len]!++;
    let reversed = 0;
    for (let i = 0; i < len; i++) {
      reversed = (reversed << 1) | (c & 1);
      c >>= 1;
    }
    const entry = (sym << 4) | len;
    for (let j = reversed; j < size; j += 1 << len) codes[j] = entry;
  }
  return { codes, bits };
}

const internalError: Fail = (what) => {
  throw new Error(what);
};
const FIXED_LIT = (() => {
  const l = new Uint8Array(288);
  l.fill(8, 0, 144).fill(9, 144, 256).fill(7, 256, 280).fill(8, 280, 288);
  return buildTable(l, new Int32Array(1 << 9), "fixed literal/length", internalError);
})();
const FIXED_DIST = buildTable(
  new Uint8Array(30).fill(5),
  new Int32Array(1 << 5),
  "fixed distance",
  internalError,
);

/** Inflates raw deflate data from `src[pos…]` into `out`; the bit reader state lives in its fields. */
class Inflater {
  pos: number;
  bitbuf = 0;
  bitcnt = 0;
  op = 0;
  private readonly litCodes = new Int32Array(1 << 15);
  private readonly distCodes = new Int32Array(1 << 15);
  private readonly clCodes = new Int32Array(1 << 7);

  constructor(
    private readonly src: Uint8Array,
    start: number,
    private readonly out: Uint8Array,
    private readonly fail: Fail,
  ) {
    this.pos = start;
  }

  private bits(n: number): number {
    while (this.bitcnt < n) {
      if (this.pos >= this.src.length) this.fail(TRUNCATED);
      this.bitbuf |= this.src[this.pos++]! << this.bitcnt;
      this.bitcnt += 8;
    }
    const v = this.bitbuf & ((1 << n) - 1);
    this.bitbuf >>>= n;
    this.bitcnt -= n;
    return v;
  }

  private symbol(t: Table): number {
    while (this.bitcnt < t.bits && this.pos < this.src.length) {
      this.bitbuf |= this.src[this.pos++]! << this.bitcnt;
      this.bitcnt += 8;
    }
    const e = t.codes[this.bitbuf & ((1 << t.bits) - 1)]!;
    const len = e & 15;
    if (len === 0 || len > this.bitcnt)
      this.fail(this.bitcnt < t.bits ? TRUNCATED : "it holds an invalid code");
    this.bitbuf >>>= len;
    this.bitcnt -= len;
    return e >> 4;
  }

  /** Inflates every block up to the final one; returns the position of the first byte after the stream. */
  run(): number {
    let final = 0;
    do {
      final = this.bits(1);
      const type = this.bits(2);
      if (type === 0) this.stored();
      else if (type === 1) this.codes(FIXED_LIT, FIXED_DIST);
      else if (type === 2) this.dynamic();
      else this.fail("a block has the reserved type 3");
    } while (!final);
    return this.pos - (this.bitcnt >> 3); // whole bytes still in the bit buffer were not used
  }

  private stored(): void {
    this.pos -= this.bitcnt >> 3; // drop the partial byte, give back whole ones
    this.bitbuf = 0;
    this.bitcnt = 0;
    const { src, pos } = this;
    if (pos + 4 > src.length) this.fail(TRUNCATED);
    const len = src[pos]! | (src[pos + 1]! << 8);
    if ((len ^ 0xffff) !== (src[pos + 2]! | (src[pos + 3]! << 8)))
      this.fail("a stored block's length and its complement disagree");
    if (pos + 4 + len > src.length) this.fail(TRUNCATED);
    if (this.op + len > this.out.length) this.tooMuch();
    this.out.set(src.subarray(pos + 4, pos + 4 + len), this.op);
    this.op += len;
    this.pos = pos + 4 + len;
  }

  private dynamic(): void {
    const nlit = this.bits(5) + 257;
    const ndist = this.bits(5) + 1;
    const ncl = this.bits(4) + 4;
    if (nlit > 286 || ndist > 30) this.fail(`a block declares ${nlit} length and ${ndist} distance codes`);
    const cl = new Uint8Array(19);
    for (let i = 0; i < ncl; i++) cl[CL_ORDER[i]!] = this.bits(3);
    const clTable = buildTable(cl, this.clCodes, "code-length", this.fail);
    const lengths = new Uint8Array(nlit + ndist);
    for (let i = 0; i < lengths.length; ) {
      const sym = this.symbol(clTable);
      if (sym < 16) {
        lengths[i++] = sym;
        continue;
      }
      let value = 0;
      let repeat: number;
      if (sym === 16) {
        if (i === 0) this.fail("a code length repeats a previous one that does not exist");
        value = lengths[i - 1]!;
        repeat = 3 + this.bits(2);
      } else if (sym === 17) repeat = 3 + this.bits(3);
      else repeat = 11 + this.bits(7);
      if (i + repeat > lengths.length) this.fail("its code lengths run past the codes they describe");
      lengths.fill(value, i, i + repeat);
      i += repeat;
    }
    if (lengths[256] === 0) this.fail("a block has no end-of-block code");
    const lit = buildTable(lengths.subarray(0, nlit), this.litCodes, "literal/length", this.fail);
    const dist = buildTable(lengths.subarray(nlit), this.distCodes, "distance", this.fail);
    this.codes(lit, dist);
  }

  private tooMuch(): never {
    return this.fail(`it holds more than the ${this.out.length} bytes expected`);
  }

  /** The hot loop: the bit reader is kept in locals and written back at the end of the block. */
  private codes(lit: Table, dist: Table): void {
    const { src, out, fail } = this;
    const end = src.length;
    const cap = out.length;
    const lcodes = lit.codes;
    const lbits = lit.bits;
    const lmask = (1 << lbits) - 1;
    const dcodes = dist.codes;
    const dbits = dist.bits;
    const dmask = (1 << dbits) - 1;
    let { pos, bitbuf, bitcnt, op } = this;
    for (;;) {
      while (bitcnt < lbits && pos < end) {
        bitbuf |= src[pos++]! << bitcnt;
        bitcnt += 8;
      }
      let e = lcodes[bitbuf & lmask]!;
      let len = e & 15;
      if (len === 0 || len > bitcnt)
        fail(bitcnt < lbits ? TRUNCATED : "it holds an invalid literal/length code");
      bitbuf >>>= len;
      bitcnt -= len;
      const sym = e >> 4;
      if (sym < 256) {
        if (op >= cap) this.tooMuch();
        out[op++] = sym;
        continue;
      }
      if (sym === 256) break;
      const li = sym - 257;
      if (li >= 29) fail(`it holds the invalid length symbol ${sym}`);
      let n = LEXT[li]!;
      while (bitcnt < n) {
        if (pos >= end) fail(TRUNCATED);
        bitbuf |= src[pos++]! << bitcnt;
        bitcnt += 8;
      }
      const length = LBASE[li]! + (bitbuf & ((1 << n) - 1));
      bitbuf >>>= n;
      bitcnt -= n;
      while (bitcnt < dbits && pos < end) {
        bitbuf |= src[pos++]! << bitcnt;
        bitcnt += 8;
      }
      e = dcodes[bitbuf & dmask]!;
      len = e & 15;
      if (len === 0 || len > bitcnt) fail(bitcnt < dbits ? TRUNCATED : "it holds an invalid distance code");
      bitbuf >>>= len;
      bitcnt -= len;
      const ds = e >> 4;
      if (ds >= 30) fail(`it holds the invalid distance symbol ${ds}`);
      n = DEXT[ds]!;
      while (bitcnt < n) {
        if (pos >= end) fail(TRUNCATED);
        bitbuf |= src[pos++]! << bitcnt;
        bitcnt += 8;
      }
      const distance = DBASE[ds]! + (bitbuf & ((1 << n) - 1));
      bitbuf >>>= n;
      bitcnt -= n;
      if (distance > op) fail(`a match reaches ${distance} bytes back from byte ${op}, before the start`);
      if (op + length > cap) this.tooMuch();
      if (length >= 32 && distance >= length) {
        out.copyWithin(op, op - distance, op - distance + length);
        op += length;
      } else for (let k = 0; k < length; k++, op++) out[op] = out[op - distance]!;
    }
    this.pos = pos;
    this.bitbuf = bitbuf;
    this.bitcnt = bitcnt;
    this.op = op;
  }
}

/** The Adler-32 checksum of `data` (RFC 1950). */
export function adler32(data: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (let i = 0; i < data.length; ) {
    const stop = Math.min(i + 5552, data.length); // the longest run whose sums cannot overflow 32 bits
    for (; i < stop; i++) {
      a += data[i]!;
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return (b * 65536 + a) >>> 0;
}

/**
 * Inflates a whole zlib stream (header, deflate data, Adler-32 checksum) into `out`, which must come out
 * exactly full. Calls `fail` with what is wrong for a bad header, corrupt or truncated data, data longer or
 * shorter than `out`, a checksum mismatch, or bytes after the stream.
 */
export function inflateZlibInto(src: Uint8Array, out: Uint8Array, fail: Fail): void {
  if (src.length < 2) fail(`it is ${src.length} bytes, too short for a zlib stream`);
  const cmf = src[0]!;
  const flg = src[1]!;
  if ((cmf & 15) !== 8 || cmf >> 4 > 7)
    fail(
      `its zlib header declares compression method ${cmf & 15} with window ${cmf >> 4} (deflate is 8, ≤ 7)`,
    );
  if (((cmf << 8) | flg) % 31 !== 0) fail("its zlib header check bits are wrong");
  if (flg & 32) fail("its zlib header asks for a preset dictionary, which PNG does not allow");
  const inflater = new Inflater(src, 2, out, fail);
  const end = inflater.run();
  if (inflater.op < out.length)
    fail(`it ends after ${inflater.op} of the ${out.length} bytes expected (data is missing)`);
  if (end + 4 > src.length) fail("its Adler-32 checksum is missing (the stream is truncated)");
  const stored = ((src[end]! << 24) | (src[end + 1]! << 16) | (src[end + 2]! << 8) | src[end + 3]!) >>> 0;
  const actual = adler32(out);
  if (stored !== actual)
    fail(`its Adler-32 checksum is ${hex(stored)} but the inflated data gives ${hex(actual)}`);
  if (end + 4 < src.length) fail(`${src.length - end - 4} bytes follow the end of the zlib stream`);
}

export const hex = (v: number): string => `0x${v.toString(16).padStart(8, "0")}`;
