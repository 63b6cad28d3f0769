// nb.nn: a functional module system (params are plain pytrees), layers, activations, losses and training helpers.

export { NonFiniteLossError } from "../optim/step.js";
export {
  elu,
  gelu,
  leakyRelu,
  logSoftmax,
  relu,
  sigmoid,
  silu,
  softmax,
  softplus,
  tanh,
} from "./activations.js";
export {
  type AttentionCache,
  type AttentionOptions,
  MultiHeadAttention,
  type MultiHeadAttentionApplyOptions,
  type MultiHeadAttentionParams,
  type MultiHeadAttentionResult,
  PositionalEmbedding,
  type PositionalEmbeddingApplyOptions,
  type PositionalEmbeddingLayer,
  scaledDotProductAttention,
  sinusoidalPositionalEncoding,
} from "./attention.js";
export { Dropout, Embedding, Flatten, Linear, type LinearOptions, type LinearParams } from "./basic.js";
export { Conv2d, type Conv2dOptions, type Conv2dParams, conv2d, type Pair } from "./conv.js";
export {
  Conv1d,
  type Conv1dOptions,
  type Conv1dParams,
  ConvTranspose2d,
  type ConvTranspose2dOptions,
  type ConvTranspose2dParams,
  conv1d,
  convTranspose2d,
} from "./conv-more.js";
export { type Batch, type BatchOptions, batches, type Dataset, shuffle } from "./data.js";
export {
  type EvaluateOptions,
  evaluate,
  type Metric,
  type Metrics,
  type Model,
  predict,
} from "./evaluate.js";
export {
  type EarlyStoppingOptions,
  type EpochInfo,
  type FitOptions,
  type FitResult,
  fit,
  type History,
} from "./fit.js";
export {
  deadUnits,
  type GradientHealth,
  type GradientHealthOptions,
  gradientHealth,
  type HealthFlag,
} from "./health.js";
export type { Initializer, InitOptions } from "./init.js";
export * as init from "./init.js";
export {
  type ApplyOptions,
  Lambda,
  type Layer,
  type LayerLike,
  type LayerSpec,
  makeLayer,
  type Params,
  type State,
  type Variables,
} from "./layer.js";
export {
  binaryCrossEntropy,
  crossEntropy,
  hinge,
  huber,
  type LossOptions,
  l1Penalty,
  l2Penalty,
  logLoss,
  mae,
  mse,
  type PenaltyOptions,
} from "./losses.js";
export { accuracy } from "./metrics.js";
export { BatchNorm, type BatchNormOptions, LayerNorm } from "./norm.js";
export { type LossCurveOptions, lossCurve, saveLossCurve } from "./plot.js";
export { AvgPool2d, type AvgPoolOptions, avgPool2d, MaxPool2d, maxPool2d, type PoolOptions } from "./pool.js";
export {
  GRU,
  LSTM,
  type LSTMOutput,
  type RecurrentApplyOptions,
  type RecurrentLayer,
  type RecurrentOptions,
  type RecurrentOutput,
  type RecurrentParams,
  RNN,
  type RNNOptions,
} from "./recurrent.js";
export {
  type BucketOptions,
  bucketBySequenceLength,
  type PaddedSequences,
  type PadSequencesOptions,
  padSequences,
  type SequenceBatch,
} from "./sequences.js";
export { Sequential, type SequentialChild, type SequentialLayer } from "./sequential.js";
export { countParams, summary } from "./summary.js";
export {
  type DecoderApplyOptions,
  type DecoderCache,
  type DecoderCacheApplyOptions,
  type DecoderCacheResult,
  type EncoderApplyOptions,
  TransformerDecoderLayer,
  type TransformerDecoderLayerParams,
  TransformerEncoderLayer,
  type TransformerEncoderLayerParams,
  type TransformerLayerOptions,
} from "./transformer.js";
