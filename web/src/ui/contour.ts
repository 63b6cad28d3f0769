// Contour lines by marching squares, quantile levels and a colour ramp for heat maps on a canvas.

/**
 * Line segments where the grid crosses `level`, in grid coordinates (i along x, j along y), flattened as
 * x1, y1, x2, y2, …. The grid is row-major, nx values per row, rows from j = 0 up. Saddle cells are
 * resolved by the cell's mean; NaN cells are skipped.
 */
export function contourSegments(z: ArrayLike<number>, nx: number, ny: number, level: number): number[] {
  const out: number[] = [];
  const lerp = (a: number, b: number) => (level - a) / (b - a);
  for (let j = 0; j + 1 < ny; j++) {
    for (let i = 0; i + 1 < nx; i++) {
      const a = z[j * nx + i]!; // bottom-left
      const b = z[j * nx + i + 1]!; // bottom-right
      const c = z[(j + 1) * nx + i + 1]!; // top-right
      const d = z[(j + 1) * nx + i]!; // top-left
      if (!(Number.isFinite(a) && Number.isFinite(b) && Number.isFinite(c) && Number.isFinite(d))) continue;
      const code = (a > level ? 1 : 0) | (b > level ? 2 : 0) | (c > level ? 4 : 0) | (d > level ? 8 : 0);
      if (code === 0 || code === 15) continue;
      // Crossing points on the four edges.
      const bottom = () => [i + lerp(a, b), j];
      const right = () => [i + 1, j + lerp(b, c)];
      const top = () => [i + lerp(d, c), j + 1];
      const left = () => [i, j + lerp(a, d)];
      const seg = (p: number[], q: number[]) => out.push(p[0]!, p[1]!, q[0]!, q[1]!);
      switch (code) {
        case 1:
        case 14:
          seg(left(), bottom());
          break;
        case 2:
        case 13:
          seg(bottom(), right());
          break;
        case 3:
        case 12:
          seg(left(), right());
          break;
        case 4:
        case 11:
          seg(right(), top());
          break;
        case 6:
        case 9:
          seg(bottom(), top());
          break;
        case 7:
        case 8:
          seg(left(), top());
          break;
        case 5:
        case 10: {
          const high = (a + b + c + d) / 4 > level;
          // code 5: a and c above. If the centre is above too, the high corners connect through it.
          if ((code === 5) === high) {
            seg(left(), top());
            seg(bottom(), right());
          } else {
            seg(left(), bottom());
            seg(right(), top());
          }
          break;
        }
      }
    }
  }
  return out;
}

/** Contour levels at quantiles of the finite values, denser near the minimum where optimizers end. */
export function quantileLevels(z: ArrayLike<number>, count: number): number[] {
  const v = Array.from(z)
    .filter(Number.isFinite)
    .sort((p, q) => p - q);
  if (v.length < 2) return [];
  const levels: number[] = [];
  for (let k = 1; k <= count; k++) {
    const q = (k / (count + 1)) ** 1.6;
    const x = v[Math.min(v.length - 1, Math.round(q * (v.length - 1)))]!;
    if (levels.length === 0 || x > levels[levels.length - 1]! + 1e-12 * Math.max(1, Math.abs(x)))
      levels.push(x);
  }
  return levels;
}

type RGB = [number, number, number];
/** A light-to-dark blue-green ramp for function values (low = dark). */
const RAMP: RGB[] = [
  [24, 43, 91],
  [32, 82, 140],
  [43, 128, 160],
  [82, 170, 165],
  [150, 205, 170],
  [214, 233, 190],
  [248, 247, 222],
];

export function rampColor(t: number): RGB {
  const x = Math.min(1, Math.max(0, t)) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(x));
  const f = x - i;
  const a = RAMP[i]!;
  const b = RAMP[i + 1]!;
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f];
}

/** Paints z (rows from the bottom) on a canvas of nx × ny pixels, coloured by each value's rank. */
export function paintHeatmap(canvas: HTMLCanvasElement, z: ArrayLike<number>, nx: number, ny: number): void {
  canvas.width = nx;
  canvas.height = ny;
  const ctx = canvas.getContext("2d")!;
  const img = ctx.createImageData(nx, ny);
  const sorted = Array.from(z)
    .filter(Number.isFinite)
    .sort((p, q) => p - q);
  const rank = (v: number) => {
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid]! < v) lo = mid + 1;
      else hi = mid;
    }
    return sorted.length > 1 ? lo / (sorted.length - 1) : 0.5;
  };
  for (let j = 0; j < ny; j++)
    for (let i = 0; i < nx; i++) {
      const v = z[j * nx + i]!;
      const o = 4 * ((ny - 1 - j) * nx + i);
      if (!Number.isFinite(v)) {
        img.data.set([200, 200, 200, 255], o);
        continue;
      }
      const [r, g, b] = rampColor(rank(v) ** 0.8);
      img.data[o] = r;
      img.data[o + 1] = g;
      img.data[o + 2] = b;
      img.data[o + 3] = 255;
    }
  ctx.putImageData(img, 0, 0);
}
