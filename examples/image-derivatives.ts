// Derivatives of a real photo (scikit-image's "camera", CC0; see examples/data/README.md): Sobel filters
// applied with nb.nn.conv2d give ∂/∂x and ∂/∂y; applying them again gives every second- and third-order
// partial derivative; the edge magnitude is |∇I| = √(I_x² + I_y²). One PNG per panel and a labelled figure.
// Run: npm run example image-derivatives [--quick] [--out DIR]
import { fileURLToPath } from "node:url";
import * as nb from "nabla";
import { exampleOptions, headline, imageFigure, saveImage, savePicture } from "./common.js";

const { quick, out } = exampleOptions("image-derivatives");
const file = fileURLToPath(new URL("./data/camera.png", import.meta.url));
let photo = await nb.io.readPng(file, { channels: 1 }); // [256, 256] in [0, 1]
if (quick) photo = nb.mean(nb.reshape(photo, [64, 4, 64, 4]), { axis: [1, 3] });
const [h, w] = photo.shape as [number, number];
console.log(`camera.png: ${h}×${w} gray, values in [0, 1]`);

// Sobel: a central difference along one axis, smoothed by [1, 2, 1] along the other; /8 makes it an
// estimate of the derivative in intensity per pixel. conv2d is cross-correlation, so +1 sits at +x.
const sobelX = nb.div(
  nb.array([
    [-1, 0, 1],
    [-2, 0, 2],
    [-1, 0, 1],
  ]),
  8,
);
const sobelY = nb.matrixTranspose(sobelX);
const kernel = (k: nb.Tensor) => nb.reshape(k, [1, 1, 3, 3]);
/** Applies the derivative filters in `axes` ("x", "y") one after another, without padding. */
const derivative = (img: nb.Tensor, axes: string) =>
  [...axes].reduce(
    (t, a) => nb.nn.conv2d(t, kernel(a === "x" ? sobelX : sobelY)),
    nb.reshape(img, [1, 1, h, w]),
  );
// Every result is cropped to the size of the third derivatives (each unpadded 3×3 pass loses a pixel a side).
const crop = (t: nb.Tensor) => {
  const th = t.shape[2]!;
  const m = (th - (h - 6)) / 2;
  return nb.reshape(nb.slice(t, [0, 0, m, m], [1, 1, h - 6, w - 6]), [h - 6, w - 6]);
};
const d: Record<string, nb.Tensor> = {};
for (const axes of ["x", "y", "xx", "xy", "yy", "xxx", "xxy", "xyy", "yyy"])
  d[axes] = crop(derivative(photo, axes));
const edges = nb.sqrt(nb.add(nb.square(d.x!), nb.square(d.y!)));
const laplacian = nb.add(d.xx!, d.yy!);

/** The 99th percentile of |values|: the scale of a panel, robust to a few extreme pixels. */
const scaleOf = (t: nb.Tensor) => {
  const v = Float64Array.from(t.dataSync(), Math.abs).sort();
  return v[Math.floor(0.99 * (v.length - 1))]! || 1;
};
type Panel = { name: string; label: string; image: nb.Tensor };
const signed = (name: string, label: string, t: nb.Tensor): Panel => {
  const s = scaleOf(t); // gray is 0, white positive, black negative
  return { name, label, image: nb.clip(nb.add(0.5, nb.div(t, 2 * s)), 0, 1) };
};
const panels: Panel[] = [
  { name: "photo", label: "I", image: crop(nb.reshape(photo, [1, 1, h, w])) },
  signed("dx", "∂I/∂x", d.x!),
  signed("dy", "∂I/∂y", d.y!),
  { name: "edges", label: "edges |∇I|", image: nb.clip(nb.div(edges, scaleOf(edges)), 0, 1) },
  signed("dxx", "∂²I/∂x²", d.xx!),
  signed("dxy", "∂²I/∂x∂y", d.xy!),
  signed("dyy", "∂²I/∂y²", d.yy!),
  signed("laplacian", "Laplacian ∇²I", laplacian),
  signed("dxxx", "∂³I/∂x³", d.xxx!),
  signed("dxxy", "∂³I/∂x²∂y", d.xxy!),
  signed("dxyy", "∂³I/∂x∂y²", d.xyy!),
  signed("dyyy", "∂³I/∂y³", d.yyy!),
];
for (const p of panels) await saveImage(out, `image-derivatives-${p.name}`, p.image);

const rms = (t: nb.Tensor) => Math.sqrt(nb.mean(nb.square(t)).item());
console.log("root-mean-square size of each derivative (intensity per pixel^order):");
console.log(`  order 1: ∂x ${rms(d.x!).toFixed(4)}  ∂y ${rms(d.y!).toFixed(4)}`);
console.log(
  `  order 2: ∂xx ${rms(d.xx!).toFixed(4)}  ∂xy ${rms(d.xy!).toFixed(4)}  ∂yy ${rms(d.yy!).toFixed(4)}`,
);
console.log(
  `  order 3: ∂xxx ${rms(d.xxx!).toFixed(4)}  ∂xxy ${rms(d.xxy!).toFixed(4)}  ∂xyy ${rms(d.xyy!).toFixed(4)}  ∂yyy ${rms(d.yyy!).toFixed(4)}`,
);
// The filters commute (convolution is associative and commutative), so ∂x∂y = ∂y∂x up to round-off.
const yx = crop(derivative(photo, "yx"));
console.log(
  `∂x∂y − ∂y∂x: max |difference| ${nb
    .max(nb.abs(nb.sub(d.xy!, yx)))
    .item()
    .toExponential(1)} (float32)`,
);
const strong = nb.mean(nb.astype(nb.greater(edges, 0.1), "float32")).item();
console.log(
  `edge magnitude: mean ${nb.mean(edges).item().toFixed(4)}, ${(100 * strong).toFixed(1)}% of pixels above 0.1`,
);

const figure = await savePicture(
  out,
  "image-derivatives",
  imageFigure(panels, {
    title: "Sobel derivatives of orders 1–3 and edge magnitude (gray = 0)",
    cols: 4,
    cellWidth: quick ? 120 : 250,
  }),
  1,
);
console.log(`wrote ${figure} and one PNG per panel (${out}/image-derivatives-*.png)`);
headline("edge-mean", nb.mean(edges).item());
