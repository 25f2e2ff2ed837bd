extension String {
    /// The string without leading and trailing white space (Unicode's definition, which
    /// includes the no-break space). Only the ends are inspected, so it costs nothing on long
    /// text — unlike Foundation's `trimmingCharacters(in:)`, which copies through NSString.
    public var trimmedWhitespace: String {
        // Most values start and end with a printable ASCII character: nothing to trim. Read
        // from the bytes in place where the string has them (`utf8.last` walked an index back).
        func printable(_ byte: UInt8?) -> Bool { byte.map { $0 > 0x20 && $0 < 0x7F } ?? false }
        let ends = utf8.withContiguousStorageIfAvailable { printable($0.first) && printable($0.last) }
        if ends ?? (printable(utf8.first) && printable(utf8.last)) { return self }
        let scalars = unicodeScalars
        var start = scalars.startIndex
        var end = scalars.endIndex
        while start < end, scalars[start].properties.isWhitespace { start = scalars.index(after: start) }
        while end > start {
            let before = scalars.index(before: end)
            guard scalars[before].properties.isWhitespace else { break }
            end = before
        }
        if start == scalars.startIndex && end == scalars.endIndex { return self }
        return String(scalars[start..<end])
    }

    /// True when the string is empty or only white space; ASCII white space is checked on
    /// bytes, anything else by its Unicode properties.
    public var isBlank: Bool {
        for byte in utf8 where !(byte == 0x20 || (byte >= 0x09 && byte <= 0x0D)) {
            return byte >= 0x80 && allSatisfy(\.isWhitespace)
        }
        return true
    }
}
