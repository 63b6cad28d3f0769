// A token ↔ integer id table for text data: characters of names, words of a sentence.
import { ValueError } from "../core/errors.js";
import { ConcreteTensor, Tensor } from "../core/tensor.js";

/** Tokens and their ids, built by {@link vocabulary}. */
export interface Vocabulary {
  /** Every token, indexed by id: the specials first, then the others sorted. */
  readonly tokens: readonly string[];
  /** The number of tokens. */
  readonly size: number;
  /** The id of one token. */
  id(token: string): number;
  /** The ids of a sequence of tokens (a string is its characters) as an int32 [n] tensor. */
  encode(tokens: Iterable<string>): Tensor;
  /** The tokens of a sequence of ids. */
  decode(ids: Tensor | ArrayLike<number>): string[];
}

/**
 * A vocabulary of the distinct tokens in `tokens` (a string gives its characters, an array of words
 * its words), sorted, after optional `specials` such as "." for the start and end of a name.
 * @throws {ValueError} from `id`/`encode`/`decode` for tokens or ids the vocabulary does not have.
 * @example
 * ```ts
 * const v = nb.data.vocabulary("emma olivia", { specials: ["."] });
 * v.tokens;                      // [".", " ", "a", "e", "i", "l", "m", "o", "v"]
 * v.encode(".emma.").toArray();  // [0, 3, 6, 6, 2, 0]
 * v.decode([6, 2]).join("");     // "ma"
 * ```
 */
export function vocabulary(
  tokens: Iterable<string>,
  options: { specials?: readonly string[] } = {},
): Vocabulary {
  const specials = options.specials ?? [];
  const special = new Set(specials);
  if (special.size !== specials.length)
    throw new ValueError(`vocabulary: specials repeat a token: ${specials.join(" ")}`);
  const rest = [...new Set(tokens)].filter((t) => !special.has(t)).sort();
  const list = [...specials, ...rest];
  const index = new Map(list.map((t, i) => [t, i]));
  const id = (token: string): number => {
    const i = index.get(token);
    if (i === undefined)
      throw new ValueError(`vocabulary: ${JSON.stringify(token)} is not one of its ${list.length} tokens`);
    return i;
  };
  return {
    tokens: list,
    size: list.length,
    id,
    encode: (seq) => {
      const ids = Int32Array.from(seq, id);
      return new ConcreteTensor(ids, { shape: [ids.length], dtype: "int32", weak: false });
    },
    decode: (ids) => {
      const arr = ids instanceof Tensor ? ids.concrete().data : ids;
      return Array.from(arr, (i) => {
        const t = list[i];
        if (t === undefined || !Number.isInteger(i))
          throw new ValueError(`vocabulary: id ${i} is out of range for ${list.length} tokens`);
        return t;
      });
    },
  };
}
