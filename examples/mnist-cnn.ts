// A small CNN (Conv 1→8 3×3, ReLU, MaxPool 2, Conv 8→16 3×3, ReLU, MaxPool 2, Linear → 10) trained with
// Adam on 8,000 MNIST digits (plus one copy shifted by up to 2 pixels) and tested on the 2,000 held out;
// pictures: the loss curve, the learned 3×3 filters of the first layer and what they make of one digit.
// He initialization and a cosine-decayed learning rate from 5e-3 reach 97% in 3 epochs.
// Run: npm run example mnist-cnn [--quick] [--out DIR]    (--quick: 1,000 digits, one epoch, no shifts)
import * as nb from "nabla";
import { exampleOptions, headline, imageFigure, mnistSplit, savePicture, shiftedDigits } from "./common.js";

const { quick, out } = exampleOptions("mnist-cnn");
const epochs = quick ? 1 : 3;
const batchSize = quick ? 32 : 64;
const copies = quick ? 0 : 1;

const { train, test } = await mnistSplit(quick ? { train: 1000, test: 500 } : undefined);
const nchw = (images: nb.Tensor) => nb.reshape(images, [images.shape[0]!, 1, 28, 28]);
console.log(`MNIST: ${train.labels.shape[0]} training digits, ${test.labels.shape[0]} held out`);
const images = nb.concatenate(
  [train.images, ...Array.from({ length: copies }, (_, k) => shiftedDigits(train.images, 2, k + 1))],
  0,
);
const labels = nb.concatenate(
  Array.from({ length: copies + 1 }, () => train.labels),
  0,
);
if (copies > 0)
  console.log(`  + ${copies} copy shifted by up to ±2 pixels: ${labels.shape[0]} training images per epoch`);

// He initialization suits ReLU layers: Glorot's smaller weights made the first epoch twice as slow here.
const he = { weightInit: nb.nn.init.heUniform };
const model = nb.nn.Sequential([
  nb.nn.Conv2d(1, 8, 3, { padding: 1, ...he }),
  nb.nn.relu,
  nb.nn.MaxPool2d(2),
  nb.nn.Conv2d(8, 16, 3, { padding: 1, ...he }),
  nb.nn.relu,
  nb.nn.MaxPool2d(2),
  nb.nn.Flatten(),
  nb.nn.Linear(16 * 7 * 7, 10),
]);
const { params } = model.init(0, [1, 1, 28, 28]);
console.log(nb.nn.summary(model, [1, 1, 28, 28]));
const stepsTotal = epochs * Math.ceil(labels.shape[0]! / batchSize);
const learningRate = quick ? 2e-3 : nb.optim.cosineDecay({ init: 5e-3, decaySteps: stepsTotal });
console.log(
  `Adam (learning rate ${quick ? "2e-3" : "5e-3 with cosine decay"}), batch ${batchSize}, ${epochs} epoch${epochs > 1 ? "s" : ""}`,
);

const t0 = performance.now();
const result = nb.nn.fit({
  model,
  params,
  loss: nb.nn.crossEntropy,
  optimizer: nb.optim.adam({ learningRate }),
  data: { x: nchw(images), y: labels },
  epochs,
  batchSize,
  metrics: ["accuracy"],
  log: (line) => console.log(`  ${line}`),
});
const trainSeconds = (performance.now() - t0) / 1000;
console.log(
  `training time: ${trainSeconds.toFixed(1)} s (${(trainSeconds / epochs).toFixed(1)} s per epoch)`,
);

const logits = nb.nn.predict(model, result.params, nchw(test.images), { batchSize: 500 });
const accuracy = nb.nn.accuracy(logits, test.labels);
const wrong = Math.round((1 - accuracy) * test.labels.shape[0]!);
console.log(`held-out accuracy: ${(100 * accuracy).toFixed(2)}% (${wrong} of ${test.labels.shape[0]} wrong)`);

await nb.nn.saveLossCurve(result.history, `${out}/mnist-cnn-loss.png`, {
  steps: true,
  logY: true,
  title: "MNIST CNN: training loss per step",
});

// The eight 3×3 filters of the first layer (gray is 0) and their ReLU responses to the first held-out
// digit, each response scaled to its own maximum (dark is strong).
const conv0 = (result.params["0"] as nb.nn.Conv2dParams).weight; // [8, 1, 3, 3]
const scale = nb.max(nb.abs(conv0)).item();
const digit = nb.slice(test.images, [0, 0, 0], [1, 28, 28]);
const maps = nb.relu(nb.nn.conv2d(nb.reshape(digit, [1, 1, 28, 28]), conv0, { padding: 1 }));
const panels = [
  ...Array.from({ length: 8 }, (_, k) => ({
    label: `filter ${k + 1}`,
    image: nb.add(0.5, nb.div(nb.reshape(nb.slice(conv0, [k, 0, 0, 0], [1, 1, 3, 3]), [3, 3]), 2 * scale)),
  })),
  ...Array.from({ length: 8 }, (_, k) => {
    const map = nb.reshape(nb.slice(maps, [0, k, 0, 0], [1, 1, 28, 28]), [28, 28]);
    return { label: `response ${k + 1}`, image: nb.sub(1, nb.div(map, nb.max(map).item() || 1)) };
  }),
];
const picture = await savePicture(
  out,
  "mnist-cnn-filters",
  imageFigure(panels, {
    title: "First-layer filters of the CNN (gray = 0) and their responses to a held-out digit",
    cols: 8,
    cellWidth: 84,
    fontSize: 12,
  }),
);
console.log(`wrote ${out}/mnist-cnn-loss.png and ${picture}`);
headline("accuracy", accuracy);
