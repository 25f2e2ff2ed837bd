extension String {
    /// The string without leading and trailing white space (Unicode's definition, which
    /// includes the no-break space). Only the ends are inspected, so it costs nothing on long
    /// text — unlike Foundation's `trimmingCharacters(in:)`, which copies through NSString.
    public var trimmedWhitespace: String {
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
}
