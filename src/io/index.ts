// The nb.io namespace: safetensors parameter files (interoperable with Python) and PNG images.
export { IoError, PngError, SafetensorsError } from "./errors.js";
export { decodePng, encodePng, type ReadPngOptions, readPng, type WritePngOptions, writePng } from "./png.js";
export {
  type DecodeOptions,
  decodeSafetensors,
  encodeSafetensors,
  type Metadata,
  type SafetensorsContents,
} from "./safetensors.js";
export { loadSafetensors, saveSafetensors } from "./safetensors-file.js";
export type { TensorTree } from "./tree.js";
