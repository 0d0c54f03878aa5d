/**
 * The list value stored in the keyspace: a {@link Deque} that is also a
 * DataObject (TYPE `list`), an ElementsView (SORT reads it) and Digestible
 * (DEBUG DIGEST).
 *
 * @module
 */

import type { Bytes } from "../../core/types.ts";
import type { DataObject, ElementsView, ValueType } from "../../core/keyspace.ts";
import type { Digestible, ValueDigest } from "../../core/digest.ts";
import { Deque } from "./_deque.ts";

/**
 * A list value.
 *
 * @example
 * ```ts
 * import { ListValue } from "./_value.ts";
 * const l = ListValue.of(["a", "b"]);
 * console.log(l.type, l.length, l.encoding()); // "list" 2 "quicklist"
 * ```
 */
export class ListValue extends Deque implements DataObject, ElementsView, Digestible {
  readonly type = "list";

  /** A list holding `items`, head to tail. */
  static of(items: readonly Bytes[]): ListValue {
    const l = new ListValue(items.length);
    for (const it of items) l.pushBack(it);
    return l;
  }

  /** Redis 7.0 always encodes lists as a quicklist, whatever their size. */
  encoding(): string {
    return "quicklist";
  }

  clone(): ListValue {
    return ListValue.of(this.toArray());
  }

  elements(): Iterable<Bytes> {
    return this;
  }

  /** Redis's recipe: each element mixed in, head to tail. */
  digest(d: ValueDigest): void {
    for (const e of this) d.mix(e);
  }
}

/** The `list` value type, registered so SORT ... STORE can build lists. */
export const listType: ValueType = {
  name: "list",
  fromElements: (items) => ListValue.of(items),
};
