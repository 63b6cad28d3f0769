// The types of reading a tensor's elements: dataSync gives a copy to change, readonlyData the tensor's own
// memory, which TypeScript refuses to write.
import * as nb from "nabla";
import { expectType } from "./expect.js";

declare const x: nb.Tensor;

const copy = x.dataSync();
copy[0] = 1;
copy.fill(0);

const own = x.readonlyData();
expectType<number>()(own[0]!);
expectType<number>()(own.length);
expectType<number[]>()(Array.from(own));
for (const v of own) expectType<number>()(v);
own.slice(0, 2)[0] = 1; // slice copies
// @ts-expect-error readonlyData is the tensor's own memory
own[0] = 1;
// @ts-expect-error no fill, set, sort, reverse or copyWithin
own.fill(0);
// @ts-expect-error
own.set([1]);
// @ts-expect-error subarray would be a writable view of the same memory
own.subarray(1);
const asArrayLike: ArrayLike<number> = own;
expectType<number>()(asArrayLike.length);

// arange takes its options after any number of its numbers.
expectType<nb.Tensor>()(nb.arange(3, { dtype: "float64" }));
expectType<nb.Tensor>()(nb.arange(0, 3, { dtype: "float64" }));
expectType<nb.Tensor>()(nb.arange(0, 3, 1, { dtype: "float64" }));
// @ts-expect-error the options come last
nb.arange({ dtype: "float64" }, 3);
