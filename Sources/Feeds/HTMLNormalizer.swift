import XML

/// Re-serialises HTML fragments found in feeds: tag and attribute names lower-cased,
/// attributes sorted and double-quoted, void elements self-closed, comments dropped, and
/// relative URLs in link-bearing attributes resolved against the element's base URI — so a
/// summary's `<a href="story.html">` still works once it is shown outside its feed.
/// Text between tags is kept as written, except that a bare `&` or a stray `<` is escaped.
///
/// It works on UTF-8 bytes: all of HTML's syntax is ASCII, and feeds are large.
package enum HTMLNormalizer {
    private static let voidElements: Set<[UInt8]> = Set([
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
        "source", "track", "wbr", "basefont", "frame", "isindex",
    ].map { Array($0.utf8) })
    private static let uriAttributes: Set<[UInt8]> = Set([
        "href", "src", "cite", "longdesc", "usemap", "codebase", "data", "classid",
        "background", "action", "poster", "profile",
    ].map { Array($0.utf8) })

    package static func normalise(_ html: String, base: String?) -> String {
        var needsWork = false
        for byte in html.utf8 where byte == UInt8(ascii: "<") || byte == UInt8(ascii: "&") || byte == 0 {
            needsWork = true
            break
        }
        guard needsWork else { return html }
        // NUL is never content (a JSON feed can carry one as \u0000); it is dropped here.
        var s = Array(html.utf8)
        if s.contains(0) { s.removeAll { $0 == 0 } }
        var out: [UInt8] = []
        out.reserveCapacity(s.count + 64)
        var i = 0
        while i < s.count {
            let c = s[i]
            if c == UInt8(ascii: "&") {
                i = copyReference(s, at: i, into: &out)
            } else if c != UInt8(ascii: "<") {
                out.append(c)
                i += 1
            } else if starts(s, at: i, with: "<!--") {
                // Comments are dropped.
                guard let end = find(s, "-->", from: i + 4) else { out.append(contentsOf: s[i...]); break }
                i = end + 3
            } else if let tag = parseTag(s, at: i) {
                render(tag, base: base, into: &out)
                i = tag.end
            } else {
                // `<!DOCTYPE`-like declarations and `<?` stay; any other stray `<` is text.
                let next = i + 1 < s.count ? s[i + 1] : 0x20
                let after = i + 2 < s.count ? s[i + 2] : 0x20
                let keeps = next == UInt8(ascii: "?") || (next == UInt8(ascii: "!") && isLetter(after))
                out.append(contentsOf: keeps ? [UInt8(ascii: "<")] : Array("&lt;".utf8))
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private struct Tag {
        var name: [UInt8]
        var closing: Bool
        var attributes: [(name: [UInt8], value: [UInt8]?)]
        var end: Int
    }

    private static func render(_ tag: Tag, base: String?, into out: inout [UInt8]) {
        if tag.closing {
            if !voidElements.contains(tag.name) {
                out.append(contentsOf: "</".utf8)
                out.append(contentsOf: tag.name)
                out.append(UInt8(ascii: ">"))
            }
            return
        }
        out.append(UInt8(ascii: "<"))
        out.append(contentsOf: tag.name)
        var attributes = tag.attributes
        if attributes.count > 1 {
            var seen = Set<[UInt8]>()
            attributes = attributes.filter { seen.insert($0.name).inserted }.sorted { $0.name.lexicographicallyPrecedes($1.name) }
        }
        for attribute in attributes {
            var value = attribute.value ?? attribute.name
            if uriAttributes.contains(attribute.name) {
                let raw = String(decoding: value, as: UTF8.self)
                let resolved = URIResolver.resolve(raw, against: base)
                if resolved != raw { value = Array(resolved.utf8) }
            }
            out.append(0x20)
            out.append(contentsOf: attribute.name)
            out.append(contentsOf: "=\"".utf8)
            escapeAttribute(value, into: &out)
            out.append(UInt8(ascii: "\""))
        }
        out.append(contentsOf: voidElements.contains(tag.name) ? Array(" />".utf8) : [UInt8(ascii: ">")])
    }

    /// Escapes `<`, `>` and `"`; an `&` is kept when it starts a reference, escaped otherwise.
    private static func escapeAttribute(_ value: [UInt8], into out: inout [UInt8]) {
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
    private static func copyReference(_ s: [UInt8], at index: Int, into out: inout [UInt8]) -> Int {
        guard let end = referenceEnd(s, at: index) else {
            out.append(contentsOf: "&amp;".utf8)
            return index + 1
        }
        let body = s[(index + 1)..<end]
        if body.first == UInt8(ascii: "#") {
            let hex = body.count > 1 && (body[body.startIndex + 1] | 0x20) == UInt8(ascii: "x")
            let digits = String(decoding: body.dropFirst(hex ? 2 : 1), as: UTF8.self)
            if let value = UInt32(digits, radix: hex ? 16 : 10) {
                let mapped = Windows1252.c1Replacement(value) ?? value
                if mapped != value || hex {
                    out.append(contentsOf: "&#x\(String(mapped, radix: 16));".utf8)
                    return end + 1
                }
            }
        }
        out.append(contentsOf: s[index...end])
        return end + 1
    }

    /// The index of the `;` ending a reference that starts at `index`, if one does.
    private static func referenceEnd(_ s: [UInt8], at index: Int) -> Int? {
        var j = index + 1
        while j < s.count, j - index <= 32 {
            let c = s[j]
            if c == UInt8(ascii: ";") { return j > index + 1 ? j : nil }
            guard isLetter(c) || isDigit(c) || c == UInt8(ascii: "#") else { return nil }
            j += 1
        }
        return nil
    }

    private static func parseTag(_ s: [UInt8], at start: Int) -> Tag? {
        var i = start + 1
        var closing = false
        if i < s.count, s[i] == UInt8(ascii: "/") { closing = true; i += 1 }
        let nameStart = i
        guard i < s.count, isLetter(s[i]) else { return nil }
        while i < s.count, isLetter(s[i]) || isDigit(s[i]) || s[i] == UInt8(ascii: ":") || s[i] == UInt8(ascii: "-") {
            i += 1
        }
        let name = lowercased(s[nameStart..<i])
        var attributes: [(name: [UInt8], value: [UInt8]?)] = []
        while i < s.count {
            while i < s.count, isSpace(s[i]) || s[i] == UInt8(ascii: "/") { i += 1 }
            guard i < s.count else { return nil }
            if s[i] == UInt8(ascii: ">") { return Tag(name: name, closing: closing, attributes: attributes, end: i + 1) }
            let attributeStart = i
            while i < s.count, !isSpace(s[i]), s[i] != UInt8(ascii: "="), s[i] != UInt8(ascii: ">"), s[i] != UInt8(ascii: "/") {
                i += 1
            }
            let attributeName = lowercased(s[attributeStart..<i])
            while i < s.count, isSpace(s[i]) { i += 1 }
            var value: [UInt8]?
            if i < s.count, s[i] == UInt8(ascii: "=") {
                i += 1
                while i < s.count, isSpace(s[i]) { i += 1 }
                if i < s.count, s[i] == UInt8(ascii: "\"") || s[i] == UInt8(ascii: "'") {
                    let quote = s[i]
                    i += 1
                    let valueStart = i
                    while i < s.count, s[i] != quote { i += 1 }
                    guard i < s.count else { return nil }
                    value = Array(s[valueStart..<i])
                    i += 1
                } else {
                    let valueStart = i
                    while i < s.count, !isSpace(s[i]), s[i] != UInt8(ascii: ">") { i += 1 }
                    value = Array(s[valueStart..<i])
                }
            }
            if !attributeName.isEmpty { attributes.append((attributeName, value)) }
        }
        return nil
    }

    private static func isLetter(_ c: UInt8) -> Bool { (c | 0x20) >= UInt8(ascii: "a") && (c | 0x20) <= UInt8(ascii: "z") }
    private static func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }
    private static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D || c == 0x0C }
    private static func lowercased(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        bytes.map { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") ? $0 | 0x20 : $0 }
    }

    private static func starts(_ s: [UInt8], at i: Int, with prefix: String) -> Bool {
        var j = i
        for c in prefix.utf8 {
            guard j < s.count, s[j] == c else { return false }
            j += 1
        }
        return true
    }

    private static func find(_ s: [UInt8], _ needle: String, from start: Int) -> Int? {
        let n = Array(needle.utf8)
        var i = start
        while i + n.count <= s.count {
            if s[i] == n[0] && s[i..<(i + n.count)].elementsEqual(n) { return i }
            i += 1
        }
        return nil
    }
}
