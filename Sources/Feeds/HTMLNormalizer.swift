import XML

/// Re-serialises HTML fragments found in feeds: tag and attribute names lower-cased,
/// attributes sorted and double-quoted, void elements self-closed, comments dropped, and
/// relative URLs in link-bearing attributes resolved against the element's base URI — so a
/// summary's `<a href="story.html">` still works once it is shown outside its feed.
/// Text between tags is kept as written, except that a bare `&` or a stray `<` is escaped.
///
/// It works on UTF-8 bytes: all of HTML's syntax is ASCII, and feeds are large.
package enum HTMLNormalizer {
    private static let voidElements = [
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
        "source", "track", "wbr", "basefont", "frame", "isindex",
    ].map(Name.init)
    private static let uriAttributes = [
        "href", "src", "cite", "longdesc", "usemap", "codebase", "data", "classid",
        "background", "action", "poster", "profile",
    ].map(Name.init)

    /// `html` normalised (itself when there is nothing to change). An entry's plain text is not
    /// read from this but from the HTML as it came (`TextValue.plainText`).
    package static func normalise(_ html: String, base: String?) -> String {
        var html = html
        return html.withUTF8 { normalisedString($0, base: base) }
    }

    /// The same for UTF-8 bytes.
    static func normalise(_ html: [UInt8], base: String?) -> String {
        html.withUnsafeBufferPointer { normalisedString($0, base: base) }
    }

    private static func normalisedString(_ bytes: UnsafeBufferPointer<UInt8>, base: String?) -> String {
        guard bytes.contains(where: { $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: "&") || $0 == 0 }) else {
            return String(decoding: bytes, as: UTF8.self)
        }
        // NUL is never content (a JSON feed can carry one as \u0000); it is dropped here.
        let out = bytes.contains(0)
            ? bytes.filter { $0 != 0 }.withUnsafeBufferPointer { normalise($0, base: base) }
            : normalise(bytes, base: base)
        return String(decoding: out, as: UTF8.self)
    }

    private static func normalise(_ s: UnsafeBufferPointer<UInt8>, base: String?) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(s.count + 64)
        var attributes: [Attribute] = []
        var i = 0
        while i < s.count {
            let c = s[i]
            if c == UInt8(ascii: "&") {
                i = copyReference(s, at: i, into: &out)
            } else if c != UInt8(ascii: "<") {
                // Text up to the next `<` or `&` is copied in one go.
                var end = i + 1
                while end < s.count, s[end] != UInt8(ascii: "<"), s[end] != UInt8(ascii: "&") { end += 1 }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: s[i..<end]))
                i = end
            } else if starts(s, at: i, with: "<!--") {
                // Comments are dropped.
                guard let end = find(s, "-->", from: i + 4) else {
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: s[i...]))
                    break
                }
                i = end + 3
            } else if let tag = parseTag(s, at: i, attributes: &attributes) {
                render(tag, attributes, in: s, base: base, into: &out)
                i = tag.end
            } else {
                // `<!DOCTYPE`-like declarations and `<?` stay; any other stray `<` is text.
                let next = i + 1 < s.count ? s[i + 1] : 0x20
                let after = i + 2 < s.count ? s[i + 2] : 0x20
                let keeps = next == UInt8(ascii: "?") || (next == UInt8(ascii: "!") && isLetter(after))
                if keeps { out.append(UInt8(ascii: "<")) } else { out.append(contentsOf: "&lt;".utf8) }
                i += 1
            }
        }
        return out
    }

    /// A tag or attribute name, lower-cased, as up to 16 bytes in two words: compared without
    /// making an array or hashing. Longer names never match the lists above.
    private struct Name: Equatable {
        var low: UInt64 = 0
        var high: UInt64 = 0
        var count = 0

        init(_ name: String) {
            self = Array(name.utf8).withUnsafeBufferPointer { Name($0, 0..<$0.count) }
        }

        init(_ s: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) {
            count = range.count
            guard count <= 16 else { return }
            for (offset, index) in range.enumerated() {
                let byte = UInt64(lowercased(s[index]))
                if offset < 8 { low |= byte << (8 * offset) } else { high |= byte << (8 * (offset - 8)) }
            }
        }
    }

    private struct Attribute {
        var name: Range<Int>
        var value: Range<Int>?
    }

    private struct Tag {
        var name: Range<Int>
        var closing: Bool
        var end: Int
    }

    private static func render(
        _ tag: Tag, _ attributes: [Attribute], in s: UnsafeBufferPointer<UInt8>, base: String?, into out: inout [UInt8]
    ) {
        let isVoid = voidElements.contains(Name(s, tag.name))
        if tag.closing {
            if !isVoid {
                out.append(contentsOf: "</".utf8)
                appendLowercased(s, tag.name, into: &out)
                out.append(UInt8(ascii: ">"))
            }
            return
        }
        out.append(UInt8(ascii: "<"))
        appendLowercased(s, tag.name, into: &out)
        if attributes.count == 1 {
            render(attributes[0], name: Array(lowercasing: s, attributes[0].name), in: s, base: base, into: &out)
        } else if attributes.count > 1 {
            // Sorted by name; the first of two with one name wins.
            var named = attributes.map { (name: Array(lowercasing: s, $0.name), attribute: $0) }
            var seen = Set<[UInt8]>()
            named = named.filter { seen.insert($0.name).inserted }.sorted { $0.name.lexicographicallyPrecedes($1.name) }
            for (name, attribute) in named { render(attribute, name: name, in: s, base: base, into: &out) }
        }
        if isVoid { out.append(contentsOf: " />".utf8) } else { out.append(UInt8(ascii: ">")) }
    }

    private static func render(
        _ attribute: Attribute, name: [UInt8], in s: UnsafeBufferPointer<UInt8>, base: String?, into out: inout [UInt8]
    ) {
        out.append(0x20)
        out.append(contentsOf: name)
        out.append(contentsOf: "=\"".utf8)
        // A bare attribute (`<input checked>`) gets its name as its value.
        name.withUnsafeBufferPointer { name in
            let value = attribute.value.map { UnsafeBufferPointer(rebasing: s[$0]) } ?? name
            if isURIAttribute(name), !isPlainAbsoluteURL(value) {
                let raw = String(decoding: value, as: UTF8.self)
                let resolved = URIResolver.resolve(raw, against: base)
                if resolved != raw {
                    Array(resolved.utf8).withUnsafeBufferPointer { escapeAttribute($0, into: &out) }
                    return
                }
            }
            escapeAttribute(value, into: &out)
        }
        out.append(UInt8(ascii: "\""))
    }

    private static func isURIAttribute(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        uriAttributes.contains(Name(name, 0..<name.count))
    }

    /// `http://…` or `https://…` with nothing to trim: what `URIResolver.resolve` would
    /// return unchanged, known without making a string.
    private static func isPlainAbsoluteURL(_ value: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let last = value.last, last > 0x20, last < 0x7F else { return false }
        let http = "http://".utf8, https = "https://".utf8
        func hasPrefix(_ prefix: String.UTF8View) -> Bool {
            value.count >= prefix.count && zip(value, prefix).allSatisfy { $0 == $1 }
        }
        return hasPrefix(http) || hasPrefix(https)
    }

    /// Escapes `<`, `>` and `"`; an `&` is kept when it starts a reference, escaped otherwise.
    private static func escapeAttribute(_ value: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        for (index, c) in value.enumerated() {
            switch c {
            case UInt8(ascii: "<"): out.append(contentsOf: "&lt;".utf8)
            case UInt8(ascii: ">"): out.append(contentsOf: "&gt;".utf8)
            case UInt8(ascii: "\""): out.append(contentsOf: "&quot;".utf8)
            case UInt8(ascii: "&"):
                if referenceEnd(value, at: index) != nil { out.append(c) } else { out.append(contentsOf: "&amp;".utf8) }
            default: out.append(c)
            }
        }
    }

    /// Copies the reference at `index` (or escapes a bare `&`), returning the next index.
    /// `&#X61;` becomes `&#x61;`, and references to the C1 range that windows-1252 text
    /// produces (`&#146;`) become the character meant (`&#x2019;`).
    private static func copyReference(_ s: UnsafeBufferPointer<UInt8>, at index: Int, into out: inout [UInt8]) -> Int {
        guard let end = referenceEnd(s, at: index) else {
            out.append(contentsOf: "&amp;".utf8)
            return index + 1
        }
        let body = s[(index + 1)..<end]
        if body.first == UInt8(ascii: "#") {
            let hex = body.count > 1 && (body[body.startIndex + 1] | 0x20) == UInt8(ascii: "x")
            let digits = String(decoding: UnsafeBufferPointer(rebasing: body.dropFirst(hex ? 2 : 1)), as: UTF8.self)
            if let value = UInt32(digits, radix: hex ? 16 : 10) {
                let mapped = Windows1252.c1Replacement(value) ?? value
                if mapped != value || hex {
                    out.append(contentsOf: "&#x\(String(mapped, radix: 16));".utf8)
                    return end + 1
                }
            }
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: s[index...end]))
        return end + 1
    }

    /// The index of the `;` ending a reference that starts at `index`, if one does.
    private static func referenceEnd(_ s: UnsafeBufferPointer<UInt8>, at index: Int) -> Int? {
        var j = index + 1
        while j < s.count, j - index <= 32 {
            let c = s[j]
            if c == UInt8(ascii: ";") { return j > index + 1 ? j : nil }
            guard isLetter(c) || isDigit(c) || c == UInt8(ascii: "#") else { return nil }
            j += 1
        }
        return nil
    }

    /// Reads the tag at `start`; its attributes replace the contents of `attributes`.
    private static func parseTag(_ s: UnsafeBufferPointer<UInt8>, at start: Int, attributes: inout [Attribute]) -> Tag? {
        attributes.removeAll(keepingCapacity: true)
        var i = start + 1
        var closing = false
        if i < s.count, s[i] == UInt8(ascii: "/") { closing = true; i += 1 }
        let nameStart = i
        guard i < s.count, isLetter(s[i]) else { return nil }
        while i < s.count, isLetter(s[i]) || isDigit(s[i]) || s[i] == UInt8(ascii: ":") || s[i] == UInt8(ascii: "-") {
            i += 1
        }
        let name = nameStart..<i
        while i < s.count {
            while i < s.count, isSpace(s[i]) || s[i] == UInt8(ascii: "/") { i += 1 }
            guard i < s.count else { return nil }
            if s[i] == UInt8(ascii: ">") { return Tag(name: name, closing: closing, end: i + 1) }
            let attributeStart = i
            while i < s.count, !isSpace(s[i]), s[i] != UInt8(ascii: "="), s[i] != UInt8(ascii: ">"), s[i] != UInt8(ascii: "/") {
                i += 1
            }
            let attributeName = attributeStart..<i
            while i < s.count, isSpace(s[i]) { i += 1 }
            var value: Range<Int>?
            if i < s.count, s[i] == UInt8(ascii: "=") {
                i += 1
                while i < s.count, isSpace(s[i]) { i += 1 }
                if i < s.count, s[i] == UInt8(ascii: "\"") || s[i] == UInt8(ascii: "'") {
                    let quote = s[i]
                    i += 1
                    let valueStart = i
                    while i < s.count, s[i] != quote { i += 1 }
                    guard i < s.count else { return nil }
                    value = valueStart..<i
                    i += 1
                } else {
                    let valueStart = i
                    while i < s.count, !isSpace(s[i]), s[i] != UInt8(ascii: ">") { i += 1 }
                    value = valueStart..<i
                }
            }
            if !attributeName.isEmpty { attributes.append(Attribute(name: attributeName, value: value)) }
        }
        return nil
    }

    private static func isLetter(_ c: UInt8) -> Bool { (c | 0x20) >= UInt8(ascii: "a") && (c | 0x20) <= UInt8(ascii: "z") }
    private static func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }
    private static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D || c == 0x0C }
    fileprivate static func lowercased(_ c: UInt8) -> UInt8 { c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z") ? c | 0x20 : c }

    private static func appendLowercased(_ s: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, into out: inout [UInt8]) {
        for index in range { out.append(lowercased(s[index])) }
    }

    private static func starts(_ s: UnsafeBufferPointer<UInt8>, at i: Int, with prefix: StaticString) -> Bool {
        let n = prefix.utf8CodeUnitCount
        guard i + n <= s.count else { return false }
        return prefix.withUTF8Buffer { p in (0..<n).allSatisfy { s[i + $0] == p[$0] } }
    }

    private static func find(_ s: UnsafeBufferPointer<UInt8>, _ needle: StaticString, from start: Int) -> Int? {
        var i = start
        while i + needle.utf8CodeUnitCount <= s.count {
            if starts(s, at: i, with: needle) { return i }
            i += 1
        }
        return nil
    }
}

private extension Array where Element == UInt8 {
    init(lowercasing s: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) {
        self = range.map { HTMLNormalizer.lowercased(s[$0]) }
    }
}
