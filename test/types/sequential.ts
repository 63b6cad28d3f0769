// The types of nn.Sequential's children: layers, plain functions, and layers whose own apply returns more
// than a tensor (the recurrent layers), which Sequential runs through applyWithState.
import * as nb from "nabla";
import { expectType } from "./expect.js";

type Tensor = nb.Tensor;
declare const x: Tensor;

const lstm = nb.nn.LSTM(3, 8, { batchFirst: true });
const gru = nb.nn.GRU(3, 8);
const rnn = nb.nn.RNN(3, 8, { nonlinearity: "relu" });

// Recurrent layers go into Sequential as they are, in the array and in the object form.
const tagger = nb.nn.Sequential([lstm, nb.nn.Linear(8, 2)]);
expectType<nb.nn.SequentialLayer>()(tagger);
expectType<Tensor>()(tagger.apply(tagger.init(0).params, x));
const named = nb.nn.Sequential({ encoder: gru, act: nb.nn.tanh, head: nb.nn.Linear(8, 1) });
expectType<Tensor>()(named.apply(named.init(0).params, x));
nb.nn.Sequential([rnn, nb.nn.relu, nb.nn.Sequential([nb.nn.GRU(8, 4)])]);
// A recurrent layer is a SequentialChild; a Layer is one too.
expectType<nb.nn.SequentialChild>()(nb.nn.Sequential([lstm]).layers[0]![1]);
const children: nb.nn.SequentialChild[] = [lstm, gru, rnn, nb.nn.Linear(8, 8)];
nb.nn.Sequential(children);

// Outside Sequential, each layer's own apply keeps its precise result.
expectType<nb.nn.LSTMOutput>()(lstm.apply(lstm.init(0).params, x));
expectType<nb.nn.RecurrentOutput>()(gru.apply(gru.init(0).params, x));
expectType<[Tensor, nb.nn.State]>()(lstm.applyWithState(lstm.init(0).params, {}, x));

// What must not compile.
// @ts-expect-error a recurrent layer's apply gives { output, hidden, cell }, not a tensor
const y: Tensor = lstm.apply(lstm.init(0).params, x);
// @ts-expect-error MultiHeadAttention is not a layer (no applyWithState): it cannot go into Sequential
nb.nn.Sequential([nb.nn.MultiHeadAttention(8, 2), nb.nn.Linear(8, 1)]);
// @ts-expect-error a function in Sequential takes and returns a tensor
nb.nn.Sequential([(v: number) => v + 1]);
// @ts-expect-error nor may the object form hold anything else
nb.nn.Sequential({ head: nb.nn.Linear(8, 1), bad: 3 });
// @ts-expect-error a child is not a Layer: Sequential never calls its apply, and neither can its `layers`
tagger.layers[0]![1].apply(tagger.init(0).params, x);
// @ts-expect-error an LSTM has a cell state, a GRU has none
gru.apply(gru.init(0).params, x).cell;
void y;
