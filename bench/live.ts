// Live measurements of TensorFlow.js in the same process, when it is installed in $ANCHORS_DIR
// (see shared/anchors/README.md; it is kept out of this project's own dependencies).
import { createRequire } from "node:module";
import path from "node:path";
import { timeit } from "./timeit.js";

interface Live {
  fwdBwd: Record<string, number>;
  fwd: Record<string, number>;
}

export async function liveTfjs(workload: "B8"): Promise<Live> {
  const dir = process.env.ANCHORS_DIR;
  const none = { fwdBwd: {}, fwd: {} };
  if (!dir || workload !== "B8") return none;
  let tf: any;
  try {
    const req = createRequire(path.join(dir, "package.json"));
    tf = req("@tensorflow/tfjs");
    await tf.setBackend("cpu");
  } catch {
    return none;
  }
  const f = (x: any, y: any) => {
    for (let i = 0; i < 250; i++)
      x = tf
        .sin(x)
        .mul(y)
        .add(x.div(tf.scalar(1).add(y.mul(y))));
    return x;
  };
  const gf = tf.grads(f);
  const x0 = tf.scalar(0.5);
  const y0 = tf.scalar(0.3);
  const both = timeit(() =>
    tf.tidy(() => {
      const [gx, gy] = gf([x0, y0]);
      gx.dataSync();
      gy.dataSync();
    }),
  );
  const fwd = timeit(() => tf.tidy(() => f(x0, y0).dataSync()));
  return {
    fwdBwd: { "tfjs-cpu-live": (both.medianMs * 1000) / 1500 },
    fwd: { "tfjs-cpu-live": (fwd.medianMs * 1000) / 1500 },
  };
}
