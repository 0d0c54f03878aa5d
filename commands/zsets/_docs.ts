/**
 * COMMAND DOCS texts of the sorted-set commands, as Redis 7.0 ships them.
 *
 * @module
 */

/** Summary, first version and complexity of one command. */
export interface ZsetDoc {
  summary: string;
  since: string;
  complexity: string;
}

/** Docs by command name. */
export const ZSET_DOCS: Record<string, ZsetDoc> = {
  zadd: {
    summary: "Add one or more members to a sorted set, or update its score if it already exists",
    since: "1.2.0",
    complexity:
      "O(log(N)) for each item added, where N is the number of elements in the sorted set.",
  },
  zincrby: {
    summary: "Increment the score of a member in a sorted set",
    since: "1.2.0",
    complexity: "O(log(N)) where N is the number of elements in the sorted set.",
  },
  zscore: {
    summary: "Get the score associated with the given member in a sorted set",
    since: "1.2.0",
    complexity: "O(1)",
  },
  zmscore: {
    summary: "Get the score associated with the given members in a sorted set",
    since: "6.2.0",
    complexity: "O(N) where N is the number of members being requested.",
  },
  zcard: {
    summary: "Get the number of members in a sorted set",
    since: "1.2.0",
    complexity: "O(1)",
  },
  zcount: {
    summary: "Count the members in a sorted set with scores within the given values",
    since: "2.0.0",
    complexity: "O(log(N)) with N being the number of elements in the sorted set.",
  },
  zlexcount: {
    summary: "Count the number of members in a sorted set between a given lexicographical range",
    since: "2.8.9",
    complexity: "O(log(N)) with N being the number of elements in the sorted set.",
  },
  zrange: {
    summary: "Return a range of members in a sorted set",
    since: "1.2.0",
    complexity:
      "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.",
  },
  zrangestore: {
    summary: "Store a range of members from sorted set into another key",
    since: "6.2.0",
    complexity:
      "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key.",
  },
  zrangebyscore: {
    summary: "Return a range of members in a sorted set, by score",
    since: "1.0.5",
    complexity:
      "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).",
  },
  zrevrangebyscore: {
    summary:
      "Return a range of members in a sorted set, by score, with scores ordered from high to low",
    since: "2.2.0",
    complexity:
      "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).",
  },
  zrangebylex: {
    summary: "Return a range of members in a sorted set, by lexicographical range",
    since: "2.8.9",
    complexity:
      "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).",
  },
  zrevrangebylex: {
    summary:
      "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.",
    since: "2.8.9",
    complexity:
      "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).",
  },
  zrevrange: {
    summary:
      "Return a range of members in a sorted set, by index, with scores ordered from high to low",
    since: "1.2.0",
    complexity:
      "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.",
  },
  zrank: {
    summary: "Determine the index of a member in a sorted set",
    since: "2.0.0",
    complexity: "O(log(N))",
  },
  zrevrank: {
    summary:
      "Determine the index of a member in a sorted set, with scores ordered from high to low",
    since: "2.0.0",
    complexity: "O(log(N))",
  },
  zrem: {
    summary: "Remove one or more members from a sorted set",
    since: "1.2.0",
    complexity:
      "O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.",
  },
  zremrangebyrank: {
    summary: "Remove all members in a sorted set within the given indexes",
    since: "2.0.0",
    complexity:
      "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.",
  },
  zremrangebyscore: {
    summary: "Remove all members in a sorted set within the given scores",
    since: "1.2.0",
    complexity:
      "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.",
  },
  zremrangebylex: {
    summary: "Remove all members in a sorted set between the given lexicographical range",
    since: "2.8.9",
    complexity:
      "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.",
  },
  zpopmin: {
    summary: "Remove and return members with the lowest scores in a sorted set",
    since: "5.0.0",
    complexity:
      "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.",
  },
  zpopmax: {
    summary: "Remove and return members with the highest scores in a sorted set",
    since: "5.0.0",
    complexity:
      "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.",
  },
  bzpopmin: {
    summary:
      "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available",
    since: "5.0.0",
    complexity: "O(log(N)) with N being the number of elements in the sorted set.",
  },
  bzpopmax: {
    summary:
      "Remove and return the member with the highest score from one or more sorted sets, or block until one is available",
    since: "5.0.0",
    complexity: "O(log(N)) with N being the number of elements in the sorted set.",
  },
  zmpop: {
    summary: "Remove and return members with scores in a sorted set",
    since: "7.0.0",
    complexity:
      "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.",
  },
  bzmpop: {
    summary:
      "Remove and return members with scores in a sorted set or block until one is available",
    since: "7.0.0",
    complexity:
      "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.",
  },
  zrandmember: {
    summary: "Get one or multiple random elements from a sorted set",
    since: "6.2.0",
    complexity: "O(N) where N is the number of elements returned",
  },
  zunion: {
    summary: "Add multiple sorted sets",
    since: "6.2.0",
    complexity:
      "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.",
  },
  zinter: {
    summary: "Intersect multiple sorted sets",
    since: "6.2.0",
    complexity:
      "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.",
  },
  zdiff: {
    summary: "Subtract multiple sorted sets",
    since: "6.2.0",
    complexity:
      "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.",
  },
  zunionstore: {
    summary: "Add multiple sorted sets and store the resulting sorted set in a new key",
    since: "2.0.0",
    complexity:
      "O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.",
  },
  zinterstore: {
    summary: "Intersect multiple sorted sets and store the resulting sorted set in a new key",
    since: "2.0.0",
    complexity:
      "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.",
  },
  zdiffstore: {
    summary: "Subtract multiple sorted sets and store the resulting sorted set in a new key",
    since: "6.2.0",
    complexity:
      "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.",
  },
  zintercard: {
    summary: "Intersect multiple sorted sets and return the cardinality of the result",
    since: "7.0.0",
    complexity:
      "O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.",
  },
  zscan: {
    summary: "Incrementally iterate sorted sets elements and associated scores",
    since: "2.8.0",
    complexity:
      "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..",
  },
};
