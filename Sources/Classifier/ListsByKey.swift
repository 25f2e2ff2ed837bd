/// Values grouped by a small integer key (a term id, a node id), as lists through arrays: the
/// newest value of each key, then each value's predecessor under its key. Looking a key up is
/// two array reads and no hashing, and a key without values costs one slot — what the hot
/// paths want of "which rule nodes does this word reach". Values of one key come newest first.
struct ListsByKey<Value> {
    /// Per key, the index in `values` of its newest value (-1: none).
    private var newest: [Int32] = []
    /// Per value, the index of the one added before it under the same key (-1: none).
    private var previous: [Int32] = []
    private var values: [Value] = []

    mutating func append(_ value: Value, to key: Int) {
        if key >= newest.count { newest += Array(repeating: -1, count: key + 1 - newest.count) }
        previous.append(newest[key])
        newest[key] = Int32(values.count)
        values.append(value)
    }

    /// Calls `body` with the values of `key` (none for a key never given one, or negative).
    func forEach(of key: Int, _ body: (Value) -> Void) {
        guard key >= 0, key < newest.count else { return }
        var entry = newest[key]
        while entry >= 0 {
            body(values[Int(entry)])
            entry = previous[Int(entry)]
        }
    }
}
